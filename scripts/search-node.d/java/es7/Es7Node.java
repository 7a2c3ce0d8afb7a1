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
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

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
        NodeRunner.main(args, Es7Node::build);
    }

    @SuppressWarnings("unchecked")
    private static NodeRunner.Handle build(String[] args) throws Exception {
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
        return new NodeRunner.Handle() {
            public void start() throws Exception {
                node.start();
            }

            public void close() throws Exception {
                node.close();
            }

            public int httpPort() {
                return node.injector().getInstance(HttpServerTransport.class)
                    .boundAddress().publishAddress().getPort();
            }

            public int transportPort() {
                return node.injector().getInstance(TransportService.class)
                    .boundAddress().publishAddress().getPort();
            }
        };
    }
}
