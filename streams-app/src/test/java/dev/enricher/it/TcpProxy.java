package dev.enricher.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Forwards TCP connections from a loopback port to a loopback target, so a test can make a server unreachable and
 * reachable again on the same address without restarting it. {@link #down()} closes the listening socket and every
 * forwarded connection (new connections are then refused); {@link #up()} listens again on the same port. Owns its
 * sockets and daemon threads (one acceptor while up, two pumps per connection); {@link #close()} takes it down for
 * good. Thread-safe.
 */
final class TcpProxy implements AutoCloseable {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final int targetPort;
    private final int port;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private ServerSocket listening;

    private TcpProxy(int targetPort, int port) {
        this.targetPort = targetPort;
        this.port = port;
    }

    /** A proxy to {@code targetPort}, listening on a free port. */
    static TcpProxy start(int targetPort) throws IOException {
        TcpProxy proxy = new TcpProxy(targetPort, ApicurioRegistry.freePort());
        proxy.up();
        return proxy;
    }

    int port() {
        return port;
    }

    synchronized void up() throws IOException {
        if (listening != null) {
            return;
        }
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(LOOPBACK, port));
        listening = server;
        Thread acceptor = new Thread(() -> accept(server), "tcp-proxy-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    synchronized void down() {
        closeQuietly(listening);
        listening = null;
        connections.forEach(TcpProxy::closeQuietly);
        connections.clear();
    }

    private void accept(ServerSocket server) {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed by down()
            }
            try {
                Socket target = new Socket(LOOPBACK, targetPort);
                synchronized (this) {
                    if (listening != server) {
                        closeQuietly(client);
                        closeQuietly(target);
                        return;
                    }
                    connections.add(client);
                    connections.add(target);
                }
                pump(client, target);
                pump(target, client);
            } catch (IOException e) {
                closeQuietly(client); // the target refused: so does the proxy
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException e) {
                // either side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                connections.remove(from);
                connections.remove(to);
            }
        }, "tcp-proxy-pump-" + port);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }

    @Override
    public void close() {
        down();
    }
}
