"""A throwaway Label Studio server on loopback, and the few API calls the interop tests make.

The server is an installed ``label-studio`` (named by ``DOSSIER_TEST_LABEL_STUDIO``), started
with a data folder of its own and a known API token; it is stopped when the tests end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

TOKEN = "dossier-interop-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabelStudioError(Exception):
    """Label Studio answered a request with an error status."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:2000]}")
        self.status = status
        self.body = body


class LabelStudio:
    """A running server: :meth:`start` it, call the API, :meth:`stop` it."""

    def __init__(self, executable: str, folder: Path):
        self.executable = executable
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 240) -> None:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            "LABEL_STUDIO_BASE_DATA_DIR": str(data),
            # The fixed token below is a "legacy" token, which 1.23 turns off by default.
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "COLLECT_ANALYTICS": "false",
        }
        self.log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                self.executable,
                "start",
                "--no-browser",
                "--host",
                "127.0.0.1",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(data),
                "--username",
                "admin@example.org",
                "--password",
                "dossier-interop",
                "--user-token",
                TOKEN,
            ],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Label Studio stopped; see {self.folder / 'server.log'}")
            try:
                self.call("GET", "/api/current-user/whoami")
                return
            except (OSError, LabelStudioError):
                time.sleep(1)
        raise RuntimeError(f"Label Studio did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                content = response.read()
        except urllib.error.HTTPError as error:
            raise LabelStudioError(error.code, error.read().decode("utf-8", "replace")) from None
        return json.loads(content) if content else None

    # --- what the tests do --------------------------------------------------------------------

    def new_project(self, label_config: str) -> int:
        project = self.call(
            "POST", "/api/projects", {"title": "Dossier", "label_config": label_config}
        )
        return project["id"]

    def import_tasks(self, project: int, tasks: list) -> dict:
        return self.call("POST", f"/api/projects/{project}/import?commit_to_project=true", tasks)

    def export(self, project: int) -> list:
        """The project's tasks as its JSON export gives them (predictions by id)."""
        return self.call("GET", f"/api/projects/{project}/export?exportType=JSON")

    def export_with_predictions(self, project: int) -> list:
        """The JSON export with predictions in full, through an export snapshot."""
        options = {"serialization_options": {"predictions": {"only_id": False}}}
        snapshot = self.call("POST", f"/api/projects/{project}/exports", options)
        for _ in range(120):
            if (
                self.call("GET", f"/api/projects/{project}/exports/{snapshot['id']}")["status"]
                == "completed"
            ):
                break
            time.sleep(0.5)
        return self.call(
            "GET", f"/api/projects/{project}/exports/{snapshot['id']}/download?exportType=JSON"
        )
