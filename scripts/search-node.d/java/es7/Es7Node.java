/*
 * search-node launcher for Elasticsearch 7.x: boots one in-process node from
 * jars on the classpath (no distribution tarball, no bootstrap CLI, so no
 * security manager and no bootstrap checks), with the modules given on the
 * command line loaded as classpath plugins (the "PluginAwareNode" pattern).
 *
 * usage: java -cp CP Es7Node DIR PLUGIN_CLASS...
 *   DIR/node.yml  node settings (written by scripts/search-node)
 *   DIR/http.port, DIR/transport.port  written once the node listens
 */
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.TransportService;

public final class Es7Node {
    private static final class KesNode extends Node {
        KesNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // a node that failed to start may have left non-daemon threads
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    @SuppressWarnings("unchecked")
    private static void run(String[] args) throws Exception {
        Path dir = Paths.get(args[0]).toAbsolutePath();
        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (int i = 1; i < args.length; i++)
            plugins.add((Class<? extends Plugin>) Class.forName(args[i]));

        Settings settings = Settings.builder()
            .loadFromPath(dir.resolve("node.yml"))
            .put("path.home", dir.toString())
            .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), dir.resolve("config"),
            () -> settings.get("node.name", "kes-node"));

        final Node node = new KesNode(env, plugins);
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

        int http = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress().getPort();
        int transport = node.injector().getInstance(TransportService.class)
            .boundAddress().publishAddress().getPort();
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
