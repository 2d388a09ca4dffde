package dev.lbhealth.agent.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback port that swallows connection attempts, like a node that vanished: a listener that
 * never accepts, with its backlog filled, so a further SYN gets no answer.
 */
final class Blackhole implements AutoCloseable {
  private final ServerSocket listener;
  private final List<Socket> fillers = new ArrayList<>();

  Blackhole(String address) throws IOException {
    listener = new ServerSocket(0, 1, InetAddress.getByName(address));
    for (int i = 0; i < 16; i++) {
      Socket s = new Socket();
      fillers.add(s);
      try {
        s.connect(new InetSocketAddress(address, listener.getLocalPort()), 200);
      } catch (SocketTimeoutException full) {
        return;
      }
    }
    throw new IOException("could not fill the backlog of " + address + ":" + listener.getLocalPort());
  }

  int port() {
    return listener.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    for (Socket s : fillers) {
      s.close();
    }
    listener.close();
  }
}
