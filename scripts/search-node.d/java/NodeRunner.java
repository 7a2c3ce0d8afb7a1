/*
 * NodeRunner - what every search-node launcher (OsNode, Es7Node, EsNode)
 * shares, whatever the engine: a failed start halts the JVM (a half-started
 * node may leave non-daemon threads), a shutdown hook closes the node, and
 * once it listens the ports are written to DIR/http.port and
 * DIR/transport.port (atomic renames) and one line is printed.  An engine
 * only says how its node is built, started, closed and asked for its ports.
 */
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;

public final class NodeRunner {
    /** A node built but not started. */
    public interface Handle {
        void start() throws Exception;
        void close() throws Exception;
        int httpPort();
        int transportPort();
    }

    /** Builds the node from the launcher's arguments (args[0] is DIR). */
    public interface Builder {
        Handle build(String[] args) throws Exception;
    }

    private NodeRunner() {
    }

    public static void main(String[] args, Builder builder) {
        try {
            run(args, builder);
        } catch (Throwable t) {
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static void run(String[] args, Builder builder) throws Exception {
        Path dir = Paths.get(args[0]).toAbsolutePath();
        final Handle node = builder.build(args);
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
            done.countDown();
        }));
        node.start();

        int http = node.httpPort();
        int transport = node.transportPort();
        writeAtomic(dir.resolve("transport.port"), Integer.toString(transport));
        writeAtomic(dir.resolve("http.port"), Integer.toString(http));
        System.out.println("search-node: listening http=" + http + " transport=" + transport);
        done.await();
    }

    private static void writeAtomic(Path p, String s) throws Exception {
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
        Files.write(tmp, (s + "\n").getBytes(StandardCharsets.US_ASCII));
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
