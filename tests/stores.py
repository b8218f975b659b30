"""Real third-party stores and tools for tests: Apache Jena (Debian's jars) and Virtuoso 7.

Both come from Debian (``libapache-jena-java``, ``virtuoso-opensource``); ``.ci/run`` installs
them. A missing tool fails the test that needs it with the install line, never a skip.

- :func:`jena` runs one of Jena's command-line classes (``riotcmd.riot``, ``arq.sparql``…) on a
  classpath that works around Debian's packaging (see :func:`jena_classpath`).
- :class:`Virtuoso` is a throwaway Virtuoso 7 on 127.0.0.1 (free SQL and HTTP ports, its own
  database folder), loaded the plain way (``ld_dir`` + ``rdf_loader_run``), queried by GET,
  and killed with its process group on :meth:`Virtuoso.stop`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

HOST = "127.0.0.1"
JAVA_DIR = Path("/usr/share/java")

#: The jars Jena's commands need, in classpath order (after the fix jar).
JENA_JARS = (
    "jena-base",
    "jena-core",
    "jena-arq",
    "jena-iri",
    "jena-shacl",
    "jena-shex",
    "jena-cmds",
    "jena-rdfconnection",
    "jena-tdb",
    "jena-tdb2",
    "jena-dboe-base",
    "jena-dboe-index",
    "jena-dboe-storage",
    "jena-dboe-trans-data",
    "jena-dboe-transaction",
    "commons-lang3",
    "commons-io",
    "commons-codec",
    "commons-compress",
    "commons-csv",
    "commons-cli",
    "dexx.collection",
    "guava",
    "jsonld-java",
    "titanium-json-ld",
    "jakarta.json-api",
    "jackson-core",
    "jackson-databind",
    "jackson-annotations",
    "httpclient",
    "httpclient-cache",  # jsonld-java (JSON-LD 1.0 in riot) needs its HttpCacheStorage
    "httpcore",
    "slf4j-api",
    "slf4j-simple",
    "thrift",
    "protobuf",
    "gson",
)

_XERCES = "org/apache/jena/ext/xerces/"


def apt_install(package: str) -> bool:
    """Install a Debian package when we can (root with apt-get, as CI and a fresh Debian box
    running the README's test command are); whether apt-get said it succeeded."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if package not in _APT_TRIED:
        _APT_TRIED.add(package)
        if not _APT_TRIED & {"update"}:
            _APT_TRIED.add("update")
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=900)
        done = subprocess.run(
            ["apt-get", "install", "-y", "-q", package], env=env, capture_output=True, timeout=900
        )
        return done.returncode == 0
    return False


_APT_TRIED: set[str] = set()


def require(program: str, package: str) -> str:
    """The path of ``program``, installed from Debian's ``package`` when missing and we can;
    else fail the test saying how to install it (never a skip)."""
    found = shutil.which(program)
    if found is None and apt_install(package):
        found = shutil.which(program)
    if found is None:
        pytest.fail(f"{program} is missing: `apt-get install -y {package}` (.ci/run does)")
    return found


def require_n3js(folder: Path) -> Path:
    """``folder/node_modules`` with N3.js, installed by ``npm ci`` (pinned by the lock file) when
    missing; else fail saying how."""
    require("node", "nodejs")
    modules = folder / "node_modules"
    if not (modules / "n3").is_dir():
        npm = require("npm", "npm")
        subprocess.run(
            [npm, "ci", "--prefix", str(folder), "--no-audit", "--no-fund"],
            capture_output=True,
            timeout=600,
        )
    if not (modules / "n3").is_dir():
        pytest.fail(f"N3.js is missing: `npm ci --prefix {folder}` (.ci/run does)")
    return modules


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def jena_classpath(workdir: Path) -> str:
    """A classpath on which Debian's Jena 4.5 starts.

    As packaged, Jena's relocated Xerces (``xerces.*``) cannot find its message bundles, which
    were left under ``org/apache/jena/ext/xerces/``: a small jar with copies of them at
    ``xerces/…``, placed first, fixes it (tooling-notes). ``/usr/share/java/*`` as a whole trips
    an slf4j/log4j loop, so the jars are listed one by one.
    """
    core = JAVA_DIR / "jena-core.jar"
    if not core.exists():
        apt_install("libapache-jena-java")
    if not core.exists():
        pytest.fail("Jena is missing: `apt-get install -y libapache-jena-java` (.ci/run does)")
    require("java", "default-jre-headless")
    fix = workdir / "jena-xerces-fix.jar"
    if not fix.exists():
        with zipfile.ZipFile(core) as source, zipfile.ZipFile(fix, "w") as out:
            for name in source.namelist():
                if name.startswith(_XERCES) and name.endswith(".properties"):
                    out.writestr("xerces/" + name[len(_XERCES) :], source.read(name))
    jars = [str(fix)]
    for name in JENA_JARS:
        jar = JAVA_DIR / f"{name}.jar"
        if not jar.exists():
            pytest.fail(f"{jar} is missing: `apt-get install -y libapache-jena-java`")
        jars.append(str(jar))
    return os.pathsep.join(jars)


def jena(classpath: str, main: str, *args: str, timeout: float = 120) -> str:
    """Run Jena's command ``main`` (``arq.sparql``, ``riotcmd.riot``…); its stdout, or fail
    with its stderr when it exits non-zero."""
    done = subprocess.run(
        ["java", "-cp", classpath, main, *args], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        pytest.fail(f"jena {main} {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


#: Virtuoso's configuration, shared with bench/serving.py (placeholders for str.format).
VIRTUOSO_INI = (Path(__file__).parent / "virtuoso.ini").read_text(encoding="utf-8")


class Virtuoso:
    """A throwaway Virtuoso 7 on 127.0.0.1 in ``workdir`` (its ``db/`` and ``data/``).

    ``url`` is its HTTP root (``/sparql`` the endpoint, ``/sparql-graph-crud`` and
    ``/sparql-graph-crud-auth`` the Graph Store Protocol); ``isql(sql)`` runs SQL as ``dba``
    (password ``dba`` on a fresh database).
    """

    def __init__(self, workdir: Path) -> None:
        require("virtuoso-t", "virtuoso-opensource")
        require("isql-vt", "virtuoso-opensource")
        self.workdir = workdir
        self.db = workdir / "db"
        self.data = workdir / "data"
        self.db.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(exist_ok=True)
        self.sql_port, self.http_port = free_port(), free_port()
        self.url = f"http://{HOST}:{self.http_port}"
        ini = workdir / "virtuoso.ini"
        ini.write_text(
            VIRTUOSO_INI.format(
                db=self.db,
                data=self.data,
                host=HOST,
                sql_port=self.sql_port,
                http_port=self.http_port,
                connections=10,
            )
        )
        self.log = (workdir / "virtuoso.out").open("wb")
        self.process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(ini)],
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def tail(self) -> str:
        """The end of Virtuoso's log, for error messages."""
        logs = [self.workdir / "virtuoso.out", self.db / "virtuoso.log"]
        return "\n".join(p.read_text(errors="replace")[-1500:] for p in logs if p.exists())

    def _wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso exited ({self.process.returncode}):\n{self.tail()}")
            probe = subprocess.run(
                self._isql_cmd("select 1;"), capture_output=True, text=True, timeout=30
            )
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"virtuoso's SQL port not ready:\n{self.tail()}")
            time.sleep(0.3)
        while time.monotonic() < deadline:
            with suppress(OSError):
                self.select("ASK {}")
                return
            time.sleep(0.3)
        raise RuntimeError(f"virtuoso's HTTP port not ready:\n{self.tail()}")

    def _isql_cmd(self, sql: str) -> list[str]:
        return ["isql-vt", f"{HOST}:{self.sql_port}", "dba", "dba", f"exec={sql}"]

    def isql(self, sql: str, timeout: float = 300) -> str:
        """Run SQL as ``dba``; its output, or RuntimeError with it on failure."""
        done = subprocess.run(self._isql_cmd(sql), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql {sql!r} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def load(self, *files: Path, graph: str = "urn:x-default") -> None:
        """Bulk-load RDF files the way Virtuoso's manual says: copy them into the allowed data
        folder, ``ld_dir`` them (quads keep their graphs; triples go to ``graph``), run the
        loader and checkpoint. RuntimeError if a file failed to load."""
        for file in files:
            shutil.copy(file, self.data / file.name)
        for file in files:
            self.isql(f"ld_dir('{self.data}', '{file.name}', '{graph}');")
        self.isql("rdf_loader_run(); checkpoint;")
        errors = self.isql(
            "select ll_file, ll_error from DB.DBA.LOAD_LIST where ll_error is not null;"
        )
        if any(file.name in errors for file in files):
            raise RuntimeError(f"virtuoso failed to load:\n{errors}")

    def select(
        self, query: str, params: list[tuple[str, str]] | None = None, timeout: float = 60
    ) -> dict[str, Any]:
        """Send a SELECT/ASK by GET (Virtuoso never answers a direct POST, tooling-notes) with
        extra protocol ``params``; the SPARQL JSON results, or OSError/HTTPError."""
        query_string = urllib.parse.urlencode([("query", query), *(params or [])])
        request = urllib.request.Request(
            f"{self.url}/sparql?{query_string}",
            headers={"Accept": "application/sparql-results+json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def construct(
        self, query: str, params: list[tuple[str, str]] | None = None, timeout: float = 60
    ) -> bytes:
        """Send a CONSTRUCT/DESCRIBE by GET; the N-Triples it answers with."""
        query_string = urllib.parse.urlencode([("query", query), *(params or [])])
        request = urllib.request.Request(
            f"{self.url}/sparql?{query_string}", headers={"Accept": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
            return body

    def stop(self) -> None:
        """Kill Virtuoso's process group and reap it; nothing is left running."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()
