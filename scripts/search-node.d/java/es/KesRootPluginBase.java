/*
 * search-node: what the Elasticsearch 8 and 9 KesRestRootPlugin share: it
 * keeps the node's ClusterService and makes the GET / handler
 * (KesRootHandler).  es8/ and es9/ only add getRestHandlers, whose
 * signature changed between the majors.
 */
package kes.searchnode;

import java.util.Collection;
import java.util.List;

import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.RestHandler;

abstract class KesRootPluginBase extends Plugin implements ActionPlugin {
    private volatile ClusterService clusterService;

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService = services.clusterService();
        return List.of();
    }

    final Collection<RestHandler> rootHandlers() {
        return List.of(new KesRootHandler(() -> clusterService));
    }
}
