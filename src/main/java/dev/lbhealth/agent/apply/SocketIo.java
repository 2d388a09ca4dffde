package dev.lbhealth.agent.apply;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * One socket conversation with a deadline on every step, for the apply helper and the agent's
 * side of it: blocking JDK channels have no read timeout, so the channel is non-blocking and each
 * wait is a select that ends at the deadline. A hung peer costs the caller its deadline, never
 * more. Blocking: call on a worker (the agent) or the helper's own threads.
 */
public final class SocketIo implements Closeable {
  private final SocketChannel channel;
  /** Opened at the first wait: most writes and many reads need none. */
  private Selector selector;
  private final ByteBuffer in = ByteBuffer.allocate(8192).flip();

  private SocketIo(SocketChannel channel) throws IOException {
    this.channel = channel;
    channel.configureBlocking(false);
  }

  /** Wraps an accepted (or connected) channel. */
  public static SocketIo of(SocketChannel channel) throws IOException {
    return new SocketIo(channel);
  }

  /** Connects to a Unix socket path, or to host:port. */
  public static SocketIo connect(String endpoint, long deadlineNanos) throws IOException {
    SocketAddress address;
    SocketChannel channel;
    if (endpoint.startsWith("/")) {
      address = UnixDomainSocketAddress.of(Path.of(endpoint));
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    } else {
      int colon = endpoint.lastIndexOf(':');
      address = new java.net.InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
      channel = SocketChannel.open();
    }
    SocketIo io = new SocketIo(channel);
    try {
      if (!channel.connect(address)) {
        io.await(SelectionKey.OP_CONNECT, deadlineNanos, "connecting");
        channel.finishConnect();
      }
      return io;
    } catch (IOException e) {
      io.close();
      throw e;
    }
  }

  public SocketChannel channel() {
    return channel;
  }

  public void write(String text, long deadlineNanos) throws IOException {
    ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (out.hasRemaining()) {
      if (channel.write(out) == 0) {
        await(SelectionKey.OP_WRITE, deadlineNanos, "writing");
      }
    }
  }

  /** Says that nothing more will be written. */
  public void endOutput() throws IOException {
    channel.shutdownOutput();
  }

  /**
   * The next line without its newline, or null at the end of the stream. Bytes are read as
   * ISO-8859-1, so that any byte can be named in a refusal.
   *
   * @throws IOException when the line is longer than {@code maxLine} or the deadline passes
   */
  public String readLine(int maxLine, long deadlineNanos) throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      while (in.hasRemaining()) {
        byte b = in.get();
        if (b == '\n') {
          return line.toString();
        }
        if (line.length() == maxLine) {
          throw new IOException("a line longer than " + maxLine + " bytes");
        }
        line.append((char) (b & 0xff));
      }
      if (!fill(deadlineNanos)) {
        return line.length() == 0 ? null : line.toString();
      }
    }
  }

  /** Everything up to the end of the stream, at most {@code max} bytes. */
  public String readAll(int max, long deadlineNanos) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    do {
      all.write(in.array(), in.position(), in.remaining());
      in.position(in.limit());
      if (all.size() > max) {
        throw new IOException("an answer larger than " + max + " bytes");
      }
    } while (fill(deadlineNanos));
    return all.toString(StandardCharsets.UTF_8);
  }

  /** Reads more into the buffer; false at the end of the stream. */
  private boolean fill(long deadlineNanos) throws IOException {
    in.clear();
    try {
      while (true) {
        int n = channel.read(in);
        if (n < 0) {
          return false;
        }
        if (n > 0) {
          return true;
        }
        await(SelectionKey.OP_READ, deadlineNanos, "waiting for an answer");
      }
    } finally {
      in.flip();
    }
  }

  private void await(int op, long deadlineNanos, String doing) throws IOException {
    if (selector == null) {
      selector = Selector.open();
    }
    SelectionKey key = channel.keyFor(selector);
    if (key == null) {
      key = channel.register(selector, op);
    } else {
      key.interestOps(op);
    }
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0 || selector.select(Math.max(1, left / 1_000_000)) == 0 && System.nanoTime() >= deadlineNanos) {
      throw new IOException("timed out " + doing);
    }
    selector.selectedKeys().clear();
  }

  @Override
  public void close() throws IOException {
    try {
      if (selector != null) {
        selector.close();
      }
    } finally {
      channel.close();
    }
  }
}
