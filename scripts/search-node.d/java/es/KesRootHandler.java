/*
 * search-node: GET / and HEAD / for the Elasticsearch 8 and 9 test nodes, in
 * the shape of Elasticsearch's own RestMainAction (the `rest-root` module,
 * which Elastic does not publish to Maven Central), answered with the
 * node's real build and cluster facts (Build.current(), cluster name/uuid,
 * Lucene version).  Registered by KesRestRootPlugin (es8/ or es9/: the
 * plugin API changed between the majors, the handler did not); loaded as a
 * module from ES_HOME/modules/kes-rest-root by scripts/search-node.
 */
package kes.searchnode;

import java.util.List;
import java.util.function.Supplier;

import org.elasticsearch.Build;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

final class KesRootHandler extends BaseRestHandler {
    private final Supplier<ClusterService> clusterServices;

    KesRootHandler(Supplier<ClusterService> clusterServices) {
        this.clusterServices = clusterServices;
    }

    @Override
    public String getName() {
        return "kes_main_action";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        final boolean head = request.method() == RestRequest.Method.HEAD;
        return channel -> {
            if (head) {
                channel.sendResponse(new RestResponse(RestStatus.OK, "application/json", BytesArray.EMPTY));
                return;
            }
            ClusterService clusterService = clusterServices.get();
            Build b = Build.current();
            XContentBuilder x = channel.newBuilder();
            x.startObject();
            x.field("name", clusterService.localNode().getName());
            x.field("cluster_name", clusterService.getClusterName().value());
            x.field("cluster_uuid", clusterService.state().metadata().clusterUUID());
            x.startObject("version")
                .field("number", b.qualifiedVersion())
                .field("build_flavor", b.flavor())
                .field("build_type", b.type().displayName())
                .field("build_hash", b.hash())
                .field("build_date", b.date())
                .field("build_snapshot", b.isSnapshot())
                .field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
                .field("minimum_wire_compatibility_version", b.minWireCompatVersion())
                .field("minimum_index_compatibility_version", b.minIndexCompatVersion())
                .endObject();
            x.field("tagline", "You Know, for Search");
            x.endObject();
            channel.sendResponse(new RestResponse(RestStatus.OK, x));
        };
    }
}
