/*
 * search-node launcher for Elasticsearch 8.x and 9.x: boots one in-process node from
 * an ES_HOME-like layout built by scripts/search-node (HOME/lib on the module
 * path, HOME/modules/<name>/ with plugin-descriptor.properties), without the
 * distribution's CLI/bootstrap (so no security manager or entitlements).
 *
 * 9.x added a boolean (serverless) to PluginsLoader.loadModulesBundles: it
 * is called by reflection, false (a stateful node) where it exists.
 *
 * usage: java --module-path HOME/lib --add-modules ALL-MODULE-PATH \
 *             -cp CLASSES EsNode DIR HOME
 *   DIR/node.yml  node settings (written by scripts/search-node)
 *   DIR/http.port, DIR/transport.port  written once the node listens
 */
import java.nio.file.Path;
import java.nio.file.Paths;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginBundle;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.transport.TransportService;

public final class EsNode {
    public static void main(String[] args) {
        NodeRunner.main(args, EsNode::build);
    }

    @SuppressWarnings("unchecked")
    private static Set<PluginBundle> modules(Path dir) throws Exception {
        try {
            Method m = PluginsLoader.class.getMethod("loadModulesBundles", Path.class, boolean.class);
            return (Set<PluginBundle>) m.invoke(null, dir, false);
        } catch (NoSuchMethodException e8) {
            Method m = PluginsLoader.class.getMethod("loadModulesBundles", Path.class);
            return (Set<PluginBundle>) m.invoke(null, dir);
        }
    }

    private static NodeRunner.Handle build(String[] args) throws Exception {
        Path dir = Paths.get(args[0]).toAbsolutePath();
        Path home = Paths.get(args[1]).toAbsolutePath();
        // logging must be wired before the first settings/x-content use
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureESLogging();
        Settings settings = Settings.builder()
            .loadFromPath(dir.resolve("node.yml"))
            .put("path.home", home.toString())
            .build();
        LogConfigurator.configureWithoutConfig(settings);
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), dir.resolve("config"),
            () -> settings.get("node.name", "kes-node"));
        PluginsLoader loader = PluginsLoader.createPluginsLoader(
            modules(env.modulesDir()), Set.of(), Map.of());

        final Node node = new Node(env, loader);
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
