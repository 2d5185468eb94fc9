"""A throwaway Request Tracker 5 for tests: its own SQLite database and config in a temp dir, REST2 on a
free 127.0.0.1 port (Debian packages request-tracker5 + rt5-db-sqlite).

RT reads its site config from RT_SITE_CONFIG / RT_SITE_CONFIG_DIR when set, so nothing under /etc or
/var/lib is used or changed. Users made here: root/password (RT's default), `shopbot` (the API user of
the connector, with only the queue rights docs/ticket-connectors.md lists, plus an auth token) and
`agent` (a privileged human agent). Usage:

    with running_rt5() as rt:
        rt.url, rt.user, rt.password, rt.token, rt.queue
        rt.rest("POST", "ticket/1/correspond", {"Content": "Hi"}, user=rt.agent)

or the session fixture `rt5_server` (import it into a conftest.py).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import free_port, missing, wait_until

APT_PACKAGES = "request-tracker5 rt5-db-sqlite"
RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_SETUP_DATABASE = Path("/usr/sbin/rt-setup-database")
RT_LIB = Path("/usr/share/request-tracker5/lib")

QUEUE = "Shop handoff"
API_RIGHTS = "SeeQueue ShowTicket CreateTicket ReplyToTicket CommentOnTicket ShowTicketComments ModifyTicket"
AGENT_RIGHTS = API_RIGHTS + " OwnTicket"

SITE_CONFIG = """\
Set($rtname, 'shoptest');
Set($Organization, 'shoptest.invalid');
Set($WebPath, '');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{root}/rt.sqlite');
Set($LogToSyslog, undef);
Set($LogToFile, undef);
Set($LogToSTDERR, 'warning');
Set($MailCommand, 'mbox');
Set($CorrespondAddress, 'rt@shoptest.invalid');
Set($CommentAddress, 'rt-comment@shoptest.invalid');
$RT::VarPath = '{root}/var';
$RT::MasonDataDir = '{root}/mason';
$RT::MasonSessionDir = '{root}/sessions';
1;
"""

# Runs with RT's libraries against this instance; prints the API user's auth token.
SETUP_PERL = """\
use strict; use warnings;
use RT; RT::LoadConfig(); RT::Init();
my $queue = RT::Queue->new(RT->SystemUser);
my ($qid, $qmsg) = $queue->Create(Name => $ENV{RT_TEST_QUEUE});
die "queue: $qmsg" unless $qid;
for my $spec ([$ENV{RT_TEST_API_USER}, $ENV{RT_TEST_API_PASSWORD}, $ENV{RT_TEST_API_RIGHTS}],
              [$ENV{RT_TEST_AGENT}, $ENV{RT_TEST_AGENT_PASSWORD}, $ENV{RT_TEST_AGENT_RIGHTS}]) {
    my ($name, $password, $rights) = @$spec;
    my $user = RT::User->new(RT->SystemUser);
    my ($uid, $umsg) = $user->Create(Name => $name, Password => $password, Privileged => 1,
        RealName => ucfirst($name) . ' Tester', EmailAddress => "$name\\@shoptest.invalid");
    die "user $name: $umsg" unless $uid;
    for my $right (split ' ', $rights) {
        my ($ok, $msg) = $user->PrincipalObj->GrantRight(Right => $right, Object => $queue);
        die "$name $right: $msg" unless $ok;
    }
}
my $api = RT::User->new(RT->SystemUser);
$api->Load($ENV{RT_TEST_API_USER});
my ($ok, $msg, $token) = RT::AuthToken->new(RT->SystemUser)->Create(Owner => $api->Id, Description => 'tests');
die "token: $msg" unless $ok;
print "$token\\n";
"""


@dataclass(frozen=True)
class RTUser:
    name: str
    password: str = field(repr=False)


@dataclass
class RT5Server:
    url: str  # web root; REST2 lives under url + "/REST/2.0/"
    queue: str
    api: RTUser
    token: str
    agent: RTUser
    root: RTUser
    env: dict[str, str] = field(repr=False)
    directory: Path = field(repr=False)

    @property
    def user(self) -> str:
        return self.api.name

    @property
    def password(self) -> str:
        return self.api.password

    def rest(self, method: str, path: str, body: Any = None, *, user: RTUser | None = None) -> tuple[int, Any]:
        """One REST2 call (as root unless told); returns (status, parsed JSON), also for 4xx/5xx."""
        who = user or self.root
        request = urllib.request.Request(
            f"{self.url}/REST/2.0/{path.lstrip('/')}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Authorization": "Basic " + base64.b64encode(f"{who.name}:{who.password}".encode()).decode(),
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw.strip() else None

    def perl(self, code: str, **variables: str) -> str:
        """Runs Perl with RT loaded against this instance (for what REST2 cannot do, e.g. an
        unprivileged requester answering by e-mail); `variables` arrive as $ENV{...}."""
        prelude = "use strict; use warnings; use RT; RT::LoadConfig(); RT::Init();\n"
        return _run(["perl", f"-I{RT_LIB}", "-e", prelude + code], {**self.env, **variables}).stdout


def _run(command: list[str], env: dict[str, str], timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout_s
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _stop(process: subprocess.Popen[bytes]) -> None:
    """rt-server forks Starlet workers into its process group: signal the group, not just the parent.
    SIGTERM rather than SIGINT, because the Debian rt-server chowns /var/lib/request-tracker5 on SIGINT."""
    for sig, grace_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            continue
    # Workers may outlive the parent for a moment; make sure none stays behind.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def running_rt5(timeout_s: float = 90.0) -> Iterator[RT5Server]:
    if not (RT_SERVER.exists() and RT_SETUP_DATABASE.exists() and shutil.which("perl")):
        missing("Request Tracker 5 (rt-server, rt-setup-database)", APT_PACKAGES)
    directory = Path(tempfile.mkdtemp(prefix="rt5-test-"))
    for sub in ("var", "mason", "sessions", "site.d"):
        (directory / sub).mkdir()
    port = free_port()
    (directory / "RT_SiteConfig.pm").write_text(SITE_CONFIG.format(port=port, root=directory))
    api, agent = RTUser("shopbot", "shopbot-secret"), RTUser("agent", "agent-secret")
    env = {
        **os.environ,
        "RT_SITE_CONFIG": str(directory / "RT_SiteConfig.pm"),
        "RT_SITE_CONFIG_DIR": str(directory / "site.d"),
    }
    process: subprocess.Popen[bytes] | None = None
    log = directory / "rt-server.log"
    try:
        _run([str(RT_SETUP_DATABASE), "--action", "init", "--skip-create"], env)
        setup_env = {
            **env,
            "RT_TEST_QUEUE": QUEUE,
            "RT_TEST_API_USER": api.name,
            "RT_TEST_API_PASSWORD": api.password,
            "RT_TEST_API_RIGHTS": API_RIGHTS,
            "RT_TEST_AGENT": agent.name,
            "RT_TEST_AGENT_PASSWORD": agent.password,
            "RT_TEST_AGENT_RIGHTS": AGENT_RIGHTS,
        }
        token = _run(["perl", f"-I{RT_LIB}", "-e", SETUP_PERL], setup_env).stdout.strip().splitlines()[-1]
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [str(RT_SERVER), "--port", str(port), "--host", "127.0.0.1", "--max-workers", "2"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        root = RTUser("root", "password")  # RT's initial data
        server = RT5Server(f"http://127.0.0.1:{port}", QUEUE, api, token, agent, root, env, directory)

        def ready() -> bool:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"rt-server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                return server.rest("GET", "queues/all")[0] == 200
            except OSError:
                return False

        wait_until(ready, timeout_s, "RT5 REST2")
        yield server
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def rt5_server() -> Iterator[RT5Server]:
    with running_rt5() as server:
        yield server
