/*
 * search-node launcher for OpenSearch: boots one in-process OpenSearch node
 * from jars on the classpath (no distribution tarball), with the modules
 * given on the command line loaded as classpath plugins.  Also the launcher
 * of Elasticsearch 7 (Es7Node): scripts/search-node compiles this file with
 * org.opensearch renamed org.elasticsearch, the API OpenSearch forked.
 *
 * usage: java -cp CP OsNode DIR PLUGIN_CLASS...
 *   DIR/node.yml  node settings (written by scripts/search-node)
 *   DIR/http.port written once the node listens (atomic rename)
 */
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.TransportService;

public final class OsNode {
    private static final class KesNode extends Node {
        KesNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) {
        NodeRunner.main(args, OsNode::build);
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
