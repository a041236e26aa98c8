"""The stack on several hosts, on one machine: hosts made of network namespaces.

    bench/cluster.py up      # as root: db, app1, app2 and lb hosts; prints the addresses
    bench/cluster.py down    # every process, namespace, link and file of the cluster, gone

Hosts are network namespaces (`bk-db`, `bk-app1`, `bk-app2`, `bk-lb`), each with one veth
into a bridge (`bk-br`, 10.77.0.1/24, on this machine's side, so the load generator reaches
them):

- `db` (10.77.0.2): a PostgreSQL instance of the cluster's own (this machine's binaries, a
  data directory under the state folder, trust for the subnet only) and `redis-server`
  (append-only file, so a restart keeps the queue, the clock's schedule and the streams'
  sequence numbers).
- `app1`, `app2` (10.77.0.11, .12): `manage.py runstack --no-demo --host 0.0.0.0` — the
  product's own command: `WEB_CONCURRENCY` daphne processes on one port, a Celery worker and
  beat (beat runs on both; one holds the lock in Redis and acts). Every address comes from the
  environment (`DATABASE_URL`, `REDIS_URL`, `DJANGO_ALLOWED_HOSTS`).
- `lb` (10.77.0.5): HAProxy from Debian on port 80, spreading HTTP and websocket connections
  over both app hosts (least connections), checking `/healthz` every second, closing the
  sessions of a host it marks down so that websockets move to the other one.

`up` tears everything down again if any step fails. The state (data directories, logs, the
HAProxy configuration) lives in `/tmp/<name>-cluster`; `--name` and `--subnet` let a second
cluster (the test suite's) run beside one. Traffic stays between these namespaces and the
bridge: nothing is routed off the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
APP_PORT = 8000
DB_NAME = "brokerage"
HOSTS = {"db": 2, "lb": 5, "app1": 11, "app2": 12}


def run(*cmd: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if check and done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def missing_requirements() -> str:
    """Why this machine cannot run a cluster, or '' when it can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "iptables", "haproxy", "redis-server"):
        if shutil.which(tool) is None:
            return f"needs {tool} (apt-get install -y haproxy iptables redis-server)"
    if not (PG_BIN / "postgres").exists():
        return f"needs PostgreSQL's binaries in {PG_BIN}"
    return ""


@dataclass
class Cluster:
    name: str = "bk"
    subnet: str = "10.77.0"  # a /24 of our own
    web: int = 1  # WEB_CONCURRENCY on each app host
    env: dict[str, str] = field(default_factory=dict)  # extra settings for the app hosts

    # ------------------------------------------------------------------ names and places
    @property
    def state(self) -> Path:
        return Path(f"/tmp/{self.name}-cluster")

    @property
    def bridge(self) -> str:
        return f"{self.name}-br"

    def ns(self, host: str) -> str:
        return f"{self.name}-{host}"

    def addr(self, host: str) -> str:
        return f"{self.subnet}.{HOSTS[host]}"

    @property
    def apps(self) -> list[str]:
        return ["app1", "app2"]

    @property
    def url(self) -> str:
        """The load balancer: the one address clients use."""
        return f"http://{self.addr('lb')}"

    @property
    def database_url(self) -> str:
        return f"postgres://root@{self.addr('db')}:5432/{DB_NAME}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.addr('db')}:6379/0"

    def in_ns(self, host: str, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host), *cmd]

    def app_env(self, host: str | None = None) -> dict[str, str]:
        """The settings of an app host: every address from here, none in the code."""
        allowed = [self.addr("lb"), *(self.addr(a) for a in self.apps)]
        return {
            "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CHANNEL_LAYER_PREFIX": "cluster",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "cluster-only-secret-key-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": ",".join(allowed),
            "DJANGO_CSRF_TRUSTED_ORIGINS": self.url,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_HSTS_SECONDS": "0",
            "TRUSTED_PROXIES": self.addr("lb"),
            "WEB_CONCURRENCY": str(self.web),
            "BROKERAGE_VAR_DIR": str(self.state / (host or "manage")),
            **self.env,
        }

    # ------------------------------------------------------------------ up
    def up(self) -> None:
        """Network, db, the schema, both app hosts, the load balancer; all answering."""
        why = missing_requirements()
        if why:
            raise RuntimeError(why)
        self.down(quiet=True)  # whatever an earlier run left
        try:
            self.state.mkdir(parents=True)
            self.state.chmod(0o755)
            self._network()
            self._postgres()
            self._redis()
            self.manage("migrate", "-v", "0")
            for app in self.apps:  # one at a time: runstack loads the universe on start
                self.start_app(app)
                self.wait_app(app)
            self._haproxy()
            self.wait_lb()
        except BaseException:
            self.down(quiet=True)
            raise

    def _network(self) -> None:
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        for host in HOSTS:
            ns, veth = self.ns(host), self.ns(host)
            run("ip", "netns", "add", ns)
            run("ip", "link", "add", veth, "type", "veth", "peer", "name", f"{veth}-p")
            run("ip", "link", "set", f"{veth}-p", "netns", ns)
            run("ip", "link", "set", veth, "master", self.bridge, "up")
            run(*self.in_ns(host, "ip", "link", "set", f"{veth}-p", "name", "eth0"))
            run(*self.in_ns(host, "ip", "addr", "add", f"{self.addr(host)}/24", "dev", "eth0"))
            run(*self.in_ns(host, "ip", "link", "set", "eth0", "up"))
            run(*self.in_ns(host, "ip", "link", "set", "lo", "up"))

    def _postgres(self) -> None:
        data = self.state / "pg"
        data.mkdir()
        shutil.chown(data, "postgres", "postgres")
        data.chmod(0o700)
        run("runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(data),
            "-U", "root", "-A", "trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        (data / "pg_hba.conf").write_text(
            f"local all all trust\nhost all all {self.subnet}.0/24 trust\n"
        )
        self.start_postgres()
        run(*self.in_ns("db", "runuser", "-u", "postgres", "--", str(PG_BIN / "createdb"),
                        "-h", self.addr("db"), "-U", "root", DB_NAME))  # fmt: skip

    def pg_ctl(self, *action: str) -> None:
        data = self.state / "pg"
        # A client that vanishes mid-transaction (its host cut off) must not hold its row locks
        # until the network heals: its session ends after 5 s idle in the transaction, and a
        # silent peer is noticed by keepalives within about 8 s.
        options = (
            f"-c listen_addresses={self.addr('db')} -c port=5432 -c max_connections=200 "
            f"-c unix_socket_directories={data} -c idle_in_transaction_session_timeout=5s "
            "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3"
        )
        run(*self.in_ns("db", "runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"),
                        "-D", str(data), "-l", str(data / "server.log"), "-w",
                        "-t", "60", "-o", options, *action))  # fmt: skip

    def start_postgres(self) -> None:
        self.pg_ctl("start")

    def restart_postgres(self) -> None:
        self.pg_ctl("-m", "fast", "restart")

    def _redis(self) -> None:
        (self.state / "redis").mkdir()
        self.start_redis()

    def start_redis(self) -> None:
        run(*self.in_ns("db", "redis-server", "--bind", self.addr("db"), "--port", "6379",
                        "--protected-mode", "no", "--dir", str(self.state / "redis"),
                        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                        # A vanished client's blocked BRPOP would take queue messages into a
                        # dead socket: keepalives end such connections within seconds.
                        "--tcp-keepalive", "3",
                        "--daemonize", "yes", "--pidfile", str(self.state / "redis.pid"),
                        "--logfile", str(self.state / "redis.log")))  # fmt: skip
        self._wait(lambda: self.redis_ping(), "redis on db")

    def redis_pid(self) -> int:
        return int((self.state / "redis.pid").read_text())

    def redis_ping(self) -> bool:
        import redis

        with contextlib.suppress(redis.RedisError):
            return bool(redis.Redis.from_url(self.redis_url, socket_timeout=1).ping())
        return False

    def freeze_redis(self, frozen: bool) -> None:
        os.kill(self.redis_pid(), signal.SIGSTOP if frozen else signal.SIGCONT)

    def restart_redis(self) -> None:
        """A clean stop (the append-only file is flushed) and a start."""
        pid = self.redis_pid()
        os.kill(pid, signal.SIGTERM)
        self._wait(lambda: not _alive(pid), "redis to stop")
        self.start_redis()

    def manage(self, *args: str) -> str:
        """A management command against the cluster's database, from this machine."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.app_env(), capture_output=True,
            text=True,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start_app(self, app: str) -> None:
        """runstack on the host, as its process manager would start it; logs to <app>.log."""
        (self.state / app).mkdir(exist_ok=True)
        log = open(self.state / f"{app}.log", "ab")  # noqa: SIM115 - the child keeps it
        subprocess.Popen(
            self.in_ns(app, PYTHON, "manage.py", "runstack", "--no-demo", "--host", "0.0.0.0",
                       "--port", str(APP_PORT), "--web-processes", str(self.web)),
            cwd=ROOT, env=self.app_env(app), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()

    def app_healthy(self, app: str) -> bool:
        return _get(f"http://{self.addr(app)}:{APP_PORT}/healthz") == 200

    def wait_app(self, app: str, timeout: float = 180) -> None:
        self._wait(lambda: self.app_healthy(app), f"{app} to answer /healthz", timeout)

    def _haproxy(self) -> None:
        cfg = self.state / "haproxy.cfg"
        # Checked servers first; the same hosts unchecked as backups, used only when every
        # checked one is down. A shared dependency failing (Redis restarting) fails every
        # host's /healthz at once: rather than answer 503 for everything, the balancer then
        # sends each request on, and the app answers for itself (most succeed; 503 where the
        # database is the problem).
        servers = "\n".join(
            [f"    server {app} {self.addr(app)}:{APP_PORT} check" for app in self.apps]
            + [f"    server {app}-any {self.addr(app)}:{APP_PORT} backup" for app in self.apps]
        )
        body = json.dumps({"code": "service_unavailable", "fields": {},
                           "message": "No server could take the request; try again."})  # fmt: skip
        (self.state / "503.http").write_text(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Retry-After: 1\r\nCache-Control: no-store\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n{body}"
        )
        cfg.write_text(HAPROXY.format(lb=self.addr("lb"), servers=servers, state=self.state))
        run(*self.in_ns("lb", "haproxy", "-D", "-f", str(cfg),
                        "-p", str(self.state / "haproxy.pid")))  # fmt: skip

    def wait_lb(self, timeout: float = 60) -> None:
        self._wait(lambda: _get(f"{self.url}/healthz") == 200, "the load balancer", timeout)

    @staticmethod
    def _wait(ok, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ok():
                return
            time.sleep(0.3)
        raise RuntimeError(f"timed out waiting for {what}")

    # ------------------------------------------------------------------ faults
    def pids(self, host: str) -> list[int]:
        done = run("ip", "netns", "pids", self.ns(host), check=False)
        return [int(p) for p in done.stdout.split()]

    def kill_host(self, host: str) -> int:
        """kill -9 every process of the host (its namespace's, exactly); how many."""
        killed = 0
        for _ in range(5):  # a dying parent may have started a child meanwhile
            pids = self.pids(host)
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            time.sleep(0.2)
        return killed

    def cut(self, host: str, peer: str, cut: bool = True) -> None:
        """Drop every packet between two hosts (both ways, at `host`), or restore them."""
        flag = "-I" if cut else "-D"
        run(*self.in_ns(host, "iptables", flag, "INPUT", "-s", self.addr(peer), "-j", "DROP"))
        run(*self.in_ns(host, "iptables", flag, "OUTPUT", "-d", self.addr(peer), "-j", "DROP"))

    def loss(self, host: str, share: float | None) -> None:
        """Drop a random share of the host's incoming packets (None: stop). The kernel here
        has no netem (tc qdisc netem: 'Specified qdisc kind is unknown'), so loss is emulated
        with iptables' statistic match, and added latency is not available."""
        rule = ["INPUT", "-m", "statistic", "--mode", "random"]
        if share is None:
            run(*self.in_ns(host, "iptables", "-D", *rule, "--probability",
                            str(self._loss_share), "-j", "DROP"))  # fmt: skip
            return
        self._loss_share = share
        run(*self.in_ns(host, "iptables", "-I", *rule, "--probability", str(share), "-j", "DROP"))

    _loss_share = 0.0

    def beat_holder(self) -> str | None:
        """The app host whose beat took the clock's lock last (from the hosts' logs)."""
        latest: tuple[str, str] | None = None
        for app in self.apps:
            path = self.state / f"{app}.log"
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                if "beat: Acquired lock" in line:
                    stamp = line[:8]  # honcho's HH:MM:SS
                    if latest is None or stamp >= latest[0]:
                        latest = (stamp, app)
        return latest[1] if latest else None

    # ------------------------------------------------------------------ down
    @property
    def logs(self) -> Path:
        """Where `down` leaves the hosts' logs (the state folder goes)."""
        return Path(f"/tmp/{self.name}-cluster-logs")

    def _keep_logs(self) -> None:
        if self.state.exists():
            shutil.rmtree(self.logs, ignore_errors=True)
            _copy_logs(self.state, self.logs)

    def down(self, quiet: bool = False) -> None:
        """Every process in the cluster's namespaces, the namespaces, the bridge, the files."""
        for host in HOSTS:
            if self.ns(host) in run("ip", "netns", "list", check=False).stdout.split():
                with contextlib.suppress(ProcessLookupError, OSError):
                    redis_pid = self.redis_pid() if host == "db" else None
                    if redis_pid:
                        os.kill(redis_pid, signal.SIGCONT)  # a frozen one cannot die
                self.kill_host(host)
                run("ip", "netns", "del", self.ns(host), check=False)
        run("ip", "link", "del", self.bridge, check=False)
        for host in HOSTS:  # a veth left on this side by a half-made namespace
            run("ip", "link", "del", self.ns(host), check=False)
        self._keep_logs()
        shutil.rmtree(self.state, ignore_errors=True)
        if not quiet:
            print(f"cluster {self.name} is down")


def _copy_logs(state: Path, to: Path) -> None:
    to.mkdir(parents=True, exist_ok=True)
    for log in [*state.glob("*.log"), state / "pg" / "server.log"]:
        if log.exists():
            shutil.copy(log, to / log.name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _get(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


# HTTP and websockets on one port. Least connections: websockets live long, and a host that
# comes back should get new ones. `timeout tunnel` keeps an idle websocket open (the streams
# send heartbeats well within it); `on-marked-down shutdown-sessions` closes a failed host's
# websockets at once so their clients reconnect, through here, to the other host. Only
# connection failures are retried (`redispatch`): a request that reached a host is never sent
# twice, since an order may have been placed.
HAPROXY = """\
global
    maxconn 4096
    stats socket {state}/haproxy.sock mode 600 level admin

defaults
    mode http
    option forwardfor
    option redispatch
    retries 2
    timeout connect 2s
    timeout client 60s
    timeout server 10s
    timeout tunnel 1h
    timeout client-fin 5s
    timeout http-request 10s
    # A host that dies mid-request or never answers: the client is told what the app itself
    # says when its database fails under a request, a 503 that may or may not have taken
    # effect (retry with the same client_order_id), not a 502 or 504.
    errorfile 502 {state}/503.http
    errorfile 504 {state}/503.http
    errorfile 503 {state}/503.http

frontend web
    bind {lb}:80
    default_backend app

backend app
    balance leastconn
    option allbackups
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {lb}
    http-check expect status 200
    # A check waits up to 2 s: a busy host answers /healthz after the requests ahead of it,
    # and a host marked down for being busy would leave the other with everything. A killed
    # host refuses at once; a cut one is out after three silent checks.
    timeout check 2s
    default-server inter 1s fastinter 500ms fall 3 rise 2 on-marked-down shutdown-sessions
{servers}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--name", default="bk", help="prefix of namespaces and links")
    parser.add_argument("--subnet", default="10.77.0", help="a private /24, as 10.77.0")
    parser.add_argument("--web", type=int, default=1, help="daphne processes per app host")
    args = parser.parse_args(argv)
    cluster = Cluster(args.name, args.subnet, args.web)
    if args.action == "down":
        cluster.down()
        return 0
    if args.action == "status":
        status = {h: len(cluster.pids(h)) for h in HOSTS}
        health = {a: cluster.app_healthy(a) for a in cluster.apps}
        print(json.dumps({"processes": status, "healthy": health,
                          "beat": cluster.beat_holder()}))  # fmt: skip
        return 0
    try:
        cluster.up()
    except RuntimeError as exc:
        print(f"cluster up failed (everything torn down): {exc}", file=sys.stderr)
        return 1
    print(f"cluster {args.name} is up: {cluster.url} (HAProxy on lb)")
    print(f"  DATABASE_URL={cluster.database_url}  REDIS_URL={cluster.redis_url}")
    print(
        f"  app hosts {', '.join(cluster.addr(a) for a in cluster.apps)}, state in {cluster.state}"
    )
    print(f"  bench/cluster.py down --name {args.name} removes it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
