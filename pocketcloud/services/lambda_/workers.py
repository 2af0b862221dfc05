"""Execution environments: local worker processes that run a function's code.

An environment is one process (the runtime: our Python or Node client, or a custom runtime's
`bootstrap`) plus its own Runtime API socket (runtime_api.py). It is created on demand when an
invocation finds no idle environment of that function version, reused while warm (module state
survives between invocations as on AWS), and reaped after IDLE_SECONDS unused (virtual clock).

Output: stdout and stderr share one pipe. Our own runtime clients write a marker after each
invocation's output, so an invocation's log holds exactly what it printed; for other clients
the output read by the time the response arrives is taken.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from .runtime_api import RuntimeApiConnection, parse_path
from .runtimes import Launch, launch_for, python_path_entries

IDLE_SECONDS = float(os.environ.get("POCKETCLOUD_LAMBDA_IDLE_SECONDS", "600"))
INIT_LIMIT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
_MARK = b"\x00PCEND "
_ACCEPTED = b'{"status": "OK"}'


class FunctionSpec:
    """What environments of one function version are made from (a snapshot of its config)."""

    __slots__ = ("account", "region", "name", "version", "arn", "runtime", "handler", "sha", "layer_shas",
                 "variables", "memory", "timeout", "log_group", "revision", "key", "function_key")

    def __init__(self, account, region, config: dict):
        self.account, self.region = account, region
        self.name = config["FunctionName"]
        self.version = config.get("Version", "$LATEST")
        self.arn = config["FunctionArn"]
        self.runtime = config.get("Runtime") or "provided.al2023"
        self.handler = config.get("Handler") or ""
        self.sha = config["_code"]
        self.layer_shas = [layer["_sha"] for layer in config.get("_layers", [])]
        self.variables = (config.get("Environment") or {}).get("Variables") or {}
        self.memory = config.get("MemorySize", 128)
        self.timeout = config.get("Timeout", 3)
        self.log_group = (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{self.name}"
        self.revision = config.get("RevisionId", "")
        self.function_key = (account, region, self.name)
        self.key = (account, region, self.name, self.version, self.revision)


class Invocation:
    __slots__ = ("request_id", "payload", "invoked_arn", "client_context", "identity", "trace_id", "future",
                 "handed", "started", "ended", "pre_output", "output", "output_done", "response", "timed_out")

    def __init__(self, request_id: str, payload: bytes, invoked_arn: str, client_context: str | None = None,
                 identity: str | None = None):
        self.request_id = request_id
        self.payload = payload
        self.invoked_arn = invoked_arn
        self.client_context = client_context
        self.identity = identity
        self.trace_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        self.future: asyncio.Future | None = None
        self.handed = False
        self.started = self.ended = 0.0
        self.pre_output = b""
        self.output: bytes | None = None
        self.output_done = False
        self.response: tuple[str, bytes] | None = None
        self.timed_out = False


class Outcome:
    """What one invocation came to: ("ok"|"error", payload bytes) and its log text."""

    __slots__ = ("kind", "payload", "log", "cold", "env_stream")

    def __init__(self, kind: str, payload: bytes, log: str, cold: bool, env_stream: str):
        self.kind, self.payload, self.log, self.cold, self.env_stream = kind, payload, log, cold, env_stream


class _ProcessProtocol(asyncio.SubprocessProtocol):
    def __init__(self, env: "Environment"):
        self.env = env

    def pipe_data_received(self, fd, data):
        self.env.output_received(data)

    def process_exited(self):
        # Pipes may still hold the last lines: give them a moment (connection_lost follows
        # once every pipe is closed).
        asyncio.get_running_loop().call_later(0.05, self.env.exited)

    def connection_lost(self, exc):
        self.env.exited()


def _error_payload(error_type: str, message: str) -> bytes:
    import json

    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


class Environment:
    def __init__(self, pool: "Pool", launch: Launch):
        self.pool = pool
        self.spec = pool.spec
        self.launch = launch
        self.id = uuid.uuid4().hex
        self.stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{self.spec.version}]{self.id}"
        self.out = bytearray()
        self.server = None
        self.unix_server = None
        self.transport = None
        self.pid = None
        self.tmp: Path | None = None
        self.next_conn: RuntimeApiConnection | None = None
        self.current: Invocation | None = None
        self.timer = None
        self.spawned = time.perf_counter()
        self.init_duration: float | None = None
        self.init_error: bytes | None = None
        self.used = False
        self.dead = False
        self.last_used = 0.0
        self._memory_read_at = -1.0
        self._memory_mb = 0

    # -- start and stop ----------------------------------------------------------------------
    async def start(self, manager: "WorkerManager") -> None:
        spec = self.spec
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: RuntimeApiConnection(self), "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        task_root = manager.code.task_root(spec.sha)
        opt_dir = manager.code.opt_dir(spec.layer_shas)
        self.tmp = manager.code.new_tmp_dir()
        environ = manager.environment_for(spec, self, port, task_root, opt_dir)
        if self.launch.ours and hasattr(socket, "AF_UNIX"):
            # Our own runtime clients also get the same API on a Unix socket: cheaper than
            # loopback TCP on every warm invoke. AWS_LAMBDA_RUNTIME_API stays the TCP address.
            path = str(self.tmp / ".runtime.sock")
            if len(path) < 100:
                self.unix_server = await loop.create_unix_server(lambda: RuntimeApiConnection(self), path)
                environ["_PC_RUNTIME_SOCKET"] = path
        self.spawned = time.perf_counter()
        try:
            self.transport, _ = await loop.subprocess_exec(
                lambda: _ProcessProtocol(self), *self.launch.argv, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(task_root), env=environ,
                start_new_session=True)
        except OSError as exc:
            self.init_error = _error_payload("Runtime.InvalidEntrypoint", f"fork/exec: {exc.strerror or exc}")
            self.exited()
            return
        self.pid = self.transport.get_pid()
        if self.launch.warning:
            self.out += (self.launch.warning + "\n").encode()

    def kill(self) -> None:
        if self.pid is not None and not self.dead:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def exited(self) -> None:
        """The process is gone: fail the invocation it held, free everything."""
        if self.dead:
            return
        self.dead = True
        self.kill()
        for server in (self.server, self.unix_server):
            if server is not None:
                server.close()
        if self.transport is not None:
            code = self.transport.get_returncode()
            self.transport.close()
        else:
            code = None
        self.pool.forget(self)
        if self.tmp is not None:
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)
        inv = self.current
        if inv is not None and not inv.future.done():
            if self.init_error is not None:
                payload = self.init_error
            else:
                status = f"signal: {signal.Signals(-code).name.lower()[3:]}" if code is not None and code < 0 \
                    else f"exit status {code}"
                payload = _error_payload("Runtime.ExitError",
                                         f"RequestId: {inv.request_id} Error: Runtime exited with error: {status}")
            inv.response = ("error", payload)
            self._finish()

    # -- invocations ---------------------------------------------------------------------------
    def assign(self, inv: Invocation) -> None:
        self.current = inv
        self.used = True
        if self.dead:
            self.exited_before_start(inv)
        elif self.next_conn is not None:
            self._handover()
        else:
            self.timer = asyncio.get_running_loop().call_later(INIT_LIMIT_SECONDS + self.spec.timeout,
                                                               self._timed_out)

    def exited_before_start(self, inv: Invocation) -> None:
        inv.response = ("error", self.init_error or _error_payload("Runtime.ExitError", "Runtime exited"))
        self._finish()

    def _handover(self) -> None:
        conn, self.next_conn = self.next_conn, None
        inv = self.current
        inv.handed = True
        inv.pre_output = bytes(self.out)
        self.out.clear()
        if self.timer is not None:
            self.timer.cancel()
        timeout = self.spec.timeout
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000 + timeout * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        if inv.identity:
            headers["Lambda-Runtime-Cognito-Identity"] = inv.identity
        inv.started = time.perf_counter()
        conn.respond(200, inv.payload, headers)
        self.timer = asyncio.get_running_loop().call_later(timeout, self._timed_out)

    def _timed_out(self) -> None:
        inv = self.current
        if inv is None or inv.future.done():
            return
        inv.timed_out = True
        seconds = f"{self.spec.timeout:.2f}"
        if not inv.handed:
            inv.pre_output = bytes(self.out)
            self.out.clear()
            inv.started = time.perf_counter()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"
        self.out += f"{stamp} {inv.request_id} Task timed out after {seconds} seconds\n".encode()
        inv.response = ("error", _error_payload(
            "Sandbox.Timedout", f"RequestId: {inv.request_id} Error: Task timed out after {seconds} seconds"))
        self.kill()
        self._finish()

    def _finish(self) -> None:
        inv = self.current
        if inv is None or inv.future.done():
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        inv.ended = time.perf_counter()
        if inv.output is None:
            inv.output = bytes(self.out)
            self.out.clear()
        self.current = None
        inv.future.set_result(None)
        if not self.dead and not inv.timed_out:
            self.pool.release(self)

    def output_received(self, data: bytes) -> None:
        out = self.out
        out += data
        if len(out) > MAX_OUTPUT_BYTES:
            del out[:len(out) - MAX_OUTPUT_BYTES]
        if not self.launch.ours:
            return
        while True:
            start = out.find(_MARK)
            if start < 0:
                return
            end = out.find(b"\x00", start + len(_MARK))
            if end < 0:
                return
            request_id = out[start + len(_MARK):end].decode("latin-1")
            segment = bytes(out[:start])
            del out[:end + 1]
            inv = self.current
            if inv is not None and inv.request_id == request_id:
                inv.output = segment
                inv.output_done = True
                if inv.response is not None:
                    self._finish()

    # -- the Runtime API ----------------------------------------------------------------------
    def api_request(self, conn: RuntimeApiConnection, method: str, target: str, headers: dict, body: bytes) -> None:
        action, request_id = parse_path(target)
        if action == "next" and method == "GET":
            if self.init_duration is None:
                self.init_duration = time.perf_counter() - self.spawned
            self.next_conn = conn
            inv = self.current
            if inv is not None and not inv.handed and inv.response is None:
                self._handover()
            return
        if action in ("response", "error") and method == "POST":
            inv = self.current
            if inv is None or inv.request_id != request_id or not inv.handed or inv.response is not None:
                conn.respond_json(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
                return
            # The runtime's acknowledgement goes out after the caller's answer (call_soon runs
            # after the invoking task, woken by _finish, has written it): one socket write less
            # on the invoke's critical path.
            asyncio.get_running_loop().call_soon(conn.respond, 202, _ACCEPTED)
            inv.ended = time.perf_counter()
            if action == "response":
                if len(body) > MAX_RESPONSE_BYTES:
                    inv.response = ("error", _error_payload(
                        "Function.ResponseSizeTooLarge",
                        f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES - 100} bytes)."))
                else:
                    inv.response = ("ok", body)
            else:
                inv.response = ("error", _error_body(body, headers))
            if self.launch.ours:
                if inv.output_done:
                    self._finish()
                else:  # the marker is still in the pipe: wait for it, not forever
                    self._rearm(0.5, self._finish)
            else:
                self._rearm(0.002, self._finish)
            return
        if action == "init-error" and method == "POST":
            conn.respond_json(202, {"status": "OK"})
            self.init_error = _error_body(body, headers)
            # The runtime exits next; its last lines come with the exit. Make sure it does.
            self._rearm(1.0, self.kill)
            return
        conn.respond_json(404, {"errorMessage": "Not found", "errorType": "NotFound"})

    def _rearm(self, delay: float, fn) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(delay, fn)

    def api_connection_lost(self, conn: RuntimeApiConnection) -> None:
        if self.next_conn is conn:
            self.next_conn = None

    def max_memory_mb(self) -> int:
        """Peak RSS (VmHWM). /proc/<pid>/status costs ~50 us to generate, so it is read at
        most every half second per environment; a REPORT may show a slightly older peak."""
        now = time.monotonic()
        if now - self._memory_read_at < 0.5:
            return self._memory_mb
        self._memory_read_at = now
        self._memory_mb = self._read_memory_mb()
        return self._memory_mb

    def _read_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError, IndexError):
            pass
        return 0


def _error_body(body: bytes, headers: dict) -> bytes:
    """An error document as posted by a runtime client, made well-formed if it is not."""
    import json

    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        error_type = headers.get("lambda-runtime-function-error-type") or "Runtime.Unknown"
        return _error_payload(error_type, body.decode("utf-8", "replace") if body else "Unknown application error occurred")
    return body


class Pool:
    """The environments of one function version (one revision of it)."""

    def __init__(self, manager: "WorkerManager", spec: FunctionSpec):
        self.manager = manager
        self.spec = spec
        self.idle: list[Environment] = []
        self.envs: set[Environment] = set()
        self.retired = False

    def release(self, env: Environment) -> None:
        if self.retired:
            env.kill()
            return
        env.last_used = self.manager.clock.time()
        self.idle.append(env)

    def forget(self, env: Environment) -> None:
        self.envs.discard(env)
        if env in self.idle:
            self.idle.remove(env)
        if not self.envs and self.retired:
            self.manager.pools.pop(self.spec.key, None)

    def retire(self) -> None:
        self.retired = True
        for env in list(self.idle):
            env.kill()
        self.idle.clear()
        if not self.envs:
            self.manager.pools.pop(self.spec.key, None)


class WorkerManager:
    def __init__(self, runtime, code, endpoint: str):
        self.runtime = runtime
        self.clock = runtime.clock
        self.code = code
        self.endpoint = endpoint
        self.pools: dict[tuple, Pool] = {}
        self.inflight: dict[tuple, int] = {}

    def busy(self, function_key: tuple) -> int:
        return self.inflight.get(function_key, 0)

    async def invoke(self, spec: FunctionSpec, inv: Invocation) -> Outcome:
        """Run one invocation on a warm environment or a new one. The caller has checked
        concurrency (see `busy`)."""
        fkey = spec.function_key
        self.inflight[fkey] = self.inflight.get(fkey, 0) + 1
        try:
            pool = self.pools.get(spec.key)
            if pool is None:
                pool = self.pools[spec.key] = Pool(self, spec)
            inv.future = asyncio.get_running_loop().create_future()
            cutoff = self.clock.time() - IDLE_SECONDS
            while pool.idle:
                env = pool.idle.pop()
                if env.last_used < cutoff:  # idle too long (virtual time): reaped, not reused
                    env.kill()
                elif not env.dead:
                    cold = False
                    break
            else:
                cold = True
                task_root = self.code.task_root(spec.sha)
                # In a thread: the first use of a runtime may probe installed interpreters.
                launch = await asyncio.to_thread(launch_for, spec.runtime, task_root,
                                                 self.code.opt_dir(spec.layer_shas), spec.memory)
                env = Environment(pool, launch)
                if launch.error is not None:
                    env.dead = True
                    env.init_error = _error_payload(*launch.error)
                else:
                    pool.envs.add(env)
                    await env.start(self)
            env.assign(inv)
            await inv.future
            return Outcome(*inv.response, self._log_text(env, spec, inv, cold), cold, env.stream)
        finally:
            self.inflight[fkey] -= 1

    def _log_text(self, env: Environment, spec: FunctionSpec, inv: Invocation, cold: bool) -> str:
        rid = inv.request_id
        duration = max(inv.ended - inv.started, 0.0) * 1000 if inv.started else 0.0
        parts = []
        if cold:
            parts.append(f"INIT_START Runtime Version: {spec.runtime}\n")
        text = (inv.pre_output + (inv.output or b"")).decode("utf-8", "replace")
        parts.append(f"START RequestId: {rid} Version: {spec.version}\n")
        parts.append(text)
        if text and not text.endswith("\n"):
            parts.append("\n")
        parts.append(f"END RequestId: {rid}\n")
        report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {max(1, math.ceil(duration))} ms"
                  f"\tMemory Size: {spec.memory} MB\tMax Memory Used: {env.max_memory_mb()} MB\t")
        if cold and env.init_duration is not None:
            report += f"Init Duration: {env.init_duration * 1000:.2f} ms\t"
        if inv.timed_out:
            report += "Status: timeout"
        parts.append(report + "\n")
        return "".join(parts)

    def environment_for(self, spec: FunctionSpec, env: Environment, port: int, task_root: Path,
                        opt_dir: Path | None) -> dict:
        path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        environ = {
            "PATH": f"{opt_dir / 'bin'}{os.pathsep}{path}" if opt_dir else path,
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": str(env.tmp),
            "TMPDIR": str(env.tmp),
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": env.stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(Path(__file__).resolve().parent),
            # Credentials that pocketcloud maps back to the function's own account, and the
            # endpoint, so boto3/SDK calls inside the function come back here.
            "AWS_ACCESS_KEY_ID": spec.account,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL": self.endpoint,
        }
        if opt_dir is not None:
            environ["LD_LIBRARY_PATH"] = f"{opt_dir / 'lib'}"
        if spec.runtime.startswith("python"):
            environ["PYTHONPATH"] = os.pathsep.join(python_path_entries(spec.runtime, task_root, opt_dir))
        elif spec.runtime.startswith("nodejs"):
            node_paths = [str(task_root / "node_modules")]
            if opt_dir is not None:
                node_paths += [str(opt_dir / "nodejs" / "node_modules"), str(opt_dir / "nodejs" / "node18" / "node_modules")]
            environ["NODE_PATH"] = os.pathsep.join(node_paths)
        if env.launch.ours:
            environ["_PC_SENTINEL"] = "1"
            if spec.runtime.startswith("python"):
                environ["_PC_MEMORY_LIMIT"] = str(memory_limit_bytes(spec.memory))
        environ.update(env.launch.env)
        environ.update(spec.variables)
        return environ

    # -- housekeeping --------------------------------------------------------------------------
    def reap_idle(self) -> None:
        cutoff = self.clock.time() - IDLE_SECONDS
        for pool in list(self.pools.values()):
            for env in list(pool.idle):
                if env.last_used < cutoff:
                    pool.idle.remove(env)
                    env.kill()

    def retire(self, account: str, region: str, name: str, keep_key: tuple | None = None) -> None:
        """Stop using the environments of a function whose code or configuration changed."""
        for key, pool in list(self.pools.items()):
            if key[:3] == (account, region, name) and key != keep_key and (keep_key is None or key[3] == keep_key[3]):
                pool.retire()

    def shutdown(self) -> None:
        for pool in list(self.pools.values()):
            for env in list(pool.envs):
                env.kill()


def memory_limit_bytes(memory_mb: int) -> int:
    """The address-space cap for a Python environment: the configured memory plus room for
    the interpreter's own mappings (shared libraries and arenas are address space too)."""
    return (memory_mb + 256) * 1024 * 1024
