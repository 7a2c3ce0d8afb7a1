/*
 * search-node: the Elasticsearch 9 plugin that registers GET / (the shared
 * handler es/KesRootHandler.java, via es/KesRootPluginBase.java) in
 * place of the unpublished rest-root module.  9.x passes the REST services as one RestHandlersServices record.
 */
package kes.searchnode;

import java.util.Collection;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.rest.RestHandler;

public final class KesRestRootPlugin extends KesRootPluginBase {
    @Override
    public Collection<RestHandler> getRestHandlers(RestHandlersServices services,
            Supplier<DiscoveryNodes> nodes, Predicate<NodeFeature> features) {
        return rootHandlers();
    }
}
