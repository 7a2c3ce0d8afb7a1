# tests/lib/proxy.bash - nginx (Debian's) on a free loopback port in front of
# the real search node, for fault tests: a body limit that answers 413, or a
# location that answers for the node (a fault-injecting proxy: everything else
# passes through to the real node).  `load lib/proxy` after lib/node.
#
# node_proxy DIR DIRECTIVES [HTTP_DIRECTIVES] : start it with extra
# server-level DIRECTIVES (e.g. "client_max_body_size 8k;" or a
# `location = /_bulk {...}` block) before the pass-through `location /`, and
# http-level HTTP_DIRECTIVES (e.g. a limit_req_zone); sets NGINX_PID and
# PROXY_URL.  The caller stops it (kill "$NGINX_PID") in its teardown.
node_proxy() {
	local d=$1 port up
	up=$(node_url)
	up=${up#http://}
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	mkdir -p "$d/tmp"
	cat >"$d/nginx.conf" <<NGINX
daemon off;
master_process off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	${3:-}
	server {
		listen 127.0.0.1:$port;
		$2
		location / {
			proxy_pass http://$up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
NGINX
	/usr/sbin/nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" </dev/null >/dev/null 2>&1 3>&- &
	NGINX_PID=$!
	PROXY_URL="http://127.0.0.1:$port"
	WAIT_SECS=10 wait_for curl -s -o /dev/null "$PROXY_URL/"
}
