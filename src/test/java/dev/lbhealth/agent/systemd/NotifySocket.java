package dev.lbhealth.agent.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** systemd's end of the notify protocol: a Unix datagram socket that keeps what it receives. */
public final class NotifySocket implements AutoCloseable {
  public final List<String> received = new CopyOnWriteArrayList<>();
  public final Path path;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final Channel channel;

  public NotifySocket(Path path) throws InterruptedException {
    this.path = path;
    channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
        .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
          @Override
          protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
            received.add(packet.content().toString(StandardCharsets.UTF_8));
          }
        })
        .bind(new DomainSocketAddress(path.toString())).sync().channel();
  }

  /** The STATUS= texts received, in order. */
  public List<String> statuses() {
    return received.stream().flatMap(m -> m.lines()).filter(l -> l.startsWith("STATUS=")).map(l -> l.substring(7)).toList();
  }

  @Override
  public void close() throws InterruptedException {
    channel.close().sync();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }
}
