//! `wsconform proxy --print-config`: a known-good minimal configuration of each proxy,
//! forwarding the front's port to the backend, for users to diff against their own.
//! The tests run these very texts (harness/tests/proxy_real.rs).

use clap::ValueEnum;

/// A proxy `--print-config` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProxyKind {
    /// nginx (nginx.conf, run with `nginx -p DIR -c nginx.conf`).
    Nginx,
    /// HAProxy 2.x (haproxy.cfg, run with `haproxy -f haproxy.cfg`).
    Haproxy,
    /// Apache httpd 2.4 with mod_proxy_wstunnel (run with `apache2 -f httpd.conf -DFOREGROUND`).
    Apache,
    /// Caddy 2 (Caddyfile, run with `caddy run --config Caddyfile --adapter caddyfile`).
    Caddy,
}

/// Where the proxy listens and where it forwards to.
#[derive(Clone, Debug)]
pub struct Hops {
    /// Front address the proxy listens on, `host:port`.
    pub listen: String,
    /// The backend, `host:port`.
    pub backend: String,
    /// A directory for the proxy's pid and temporary files.
    pub run_dir: String,
}

/// The configuration text of `kind` for `hops`.
pub fn config(kind: ProxyKind, hops: &Hops) -> String {
    let Hops {
        listen,
        backend,
        run_dir,
    } = hops;
    let host = listen
        .rsplit_once(':')
        .map_or(listen.as_str(), |(h, _)| h)
        .trim_matches(['[', ']']);
    match kind {
        ProxyKind::Nginx => format!(
            r#"# nginx: WebSocket reverse proxy, checked by `wsconform proxy` (run: nginx -p {run_dir} -c nginx.conf)
daemon off;
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {run_dir}/client_body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    # Upgrade and Connection are hop-by-hop: nginx does not forward them, so the
    # upgrade toward the backend is asked for explicitly.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://{backend};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            # An idle WebSocket is closed after proxy_read_timeout (60 s by default).
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
    }}
}}
"#
        ),
        ProxyKind::Haproxy => format!(
            r#"# HAProxy: WebSocket reverse proxy, checked by `wsconform proxy` (run: haproxy -f haproxy.cfg)
global
    pidfile {run_dir}/haproxy.pid
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    # Once upgraded, the connection is a tunnel: this idle timeout replaces the two above.
    timeout tunnel 1h
frontend websocket
    bind {listen}
    default_backend wsconform
backend wsconform
    server backend1 {backend}
"#
        ),
        ProxyKind::Apache => format!(
            r#"# Apache httpd 2.4: WebSocket reverse proxy with mod_proxy_wstunnel, checked by
# `wsconform proxy` (run: apache2 -f {run_dir}/httpd.conf -DFOREGROUND)
ServerRoot /etc/apache2
ServerName localhost
PidFile {run_dir}/httpd.pid
Mutex file:{run_dir} default
DefaultRuntimeDir {run_dir}
ErrorLog /dev/stderr
LogLevel warn
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule proxy_wstunnel_module /usr/lib/apache2/modules/mod_proxy_wstunnel.so
User www-data
Group www-data
Listen {listen}
# ws:// hands the upgrade to mod_proxy_wstunnel; the tunnel's idle limit is ProxyTimeout
# (Timeout, 60 s, by default).
ProxyTimeout 3600
ProxyPass "/" "ws://{backend}/"
"#
        ),
        ProxyKind::Caddy => format!(
            r#"# Caddy 2: WebSocket reverse proxy, checked by `wsconform proxy`
# (run: caddy run --config Caddyfile --adapter caddyfile)
{{
    admin off
    auto_https off
    storage file_system {run_dir}
}}
http://{listen} {{
    bind {host}
    # reverse_proxy relays WebSocket upgrades without further configuration.
    reverse_proxy {backend}
}}
"#
        ),
    }
}
