/*
 * search-node launcher for OpenSearch: boots one in-process OpenSearch node
 * from jars on the classpath (no distribution tarball), with the modules
 * given on the command line loaded as classpath plugins.  Also the launcher
 * of Elasticsearch 7 (Es7Node): scripts/search-node compiles this file with
 * org.opensearch renamed org.elasticsearch, the API OpenSearch forked.
 *
 * OpenSearch 3 takes the node's plugins as PluginInfo descriptors instead of
 * classes (Node(Environment, Collection<PluginInfo>, boolean)); the erased
 * constructor is the same, so the element type is chosen at run time from
 * the constructor's generic signature and the descriptors are made by
 * reflection (one source for 2.x, 3.x and ES 7).
 *
 * usage: java -cp CP OsNode DIR PLUGIN_CLASS...
 *   DIR/node.yml  node settings (written by scripts/search-node)
 *   DIR/http.port written once the node listens (atomic rename)
 */
import java.lang.reflect.Constructor;
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
        @SuppressWarnings({"unchecked", "rawtypes"})
        KesNode(Environment env, Collection<?> plugins) {
            super(env, (Collection) plugins, true);
        }
    }

    /** The plugins as Node's constructor wants them: classes, or (3.x) PluginInfo. */
    private static Collection<?> nodePlugins(List<Class<? extends Plugin>> classes) throws Exception {
        Constructor<?> c = Node.class.getDeclaredConstructor(Environment.class, Collection.class, boolean.class);
        if (!c.getGenericParameterTypes()[1].getTypeName().endsWith(".PluginInfo>"))
            return classes;
        String pkg = Node.class.getPackageName().replace(".node", "");
        Class<?> version = Class.forName(pkg + ".Version");
        Class<?> info = Class.forName(pkg + ".plugins.PluginInfo");
        Constructor<?> ic = info.getConstructor(String.class, String.class, String.class, version,
            String.class, String.class, List.class, boolean.class);
        Object current = version.getField("CURRENT").get(null);
        List<Object> infos = new ArrayList<>();
        for (Class<? extends Plugin> k : classes)
            infos.add(ic.newInstance(k.getName(), "classpath plugin", "NA", current,
                Runtime.version().feature() + "", k.getName(), Collections.emptyList(), false));
        return infos;
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

        final Node node = new KesNode(env, nodePlugins(plugins));
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
