"""pocketcloud's runtime interface client for python3.x functions.

Run as a script by an execution environment's interpreter (never imported by the server, and it
imports nothing from pocketcloud): it speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API
exactly as AWS's own client does — import the handler named by $_HANDLER (reporting
Runtime.ImportModuleError, Runtime.HandlerNotFound... through /runtime/init/error), then loop on
GET /invocation/next, call the handler with the event and a context object, and POST its result
to /response or the error to /error. One persistent HTTP connection keeps a warm invoke cheap.

When $_PC_SENTINEL is set, a marker is written to stdout after each invocation so the server
knows it has every line the invocation printed (stdout and stderr share one pipe).
"""

import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

API = "/2018-06-01/runtime"


class LambdaContext:
    def __init__(self, request_id, deadline_ms, function_arn, client_context, identity):
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = _object(json.loads(client_context)) if client_context else None
        self.identity = _object(json.loads(identity)) if identity else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def log(self, message):
        sys.stdout.write(str(message))


class _object:
    def __init__(self, fields):
        for key, value in (fields or {}).items():
            setattr(self, key, value)


class RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = RequestIdFilter.request_id
        return True


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _error(error_type, message, stack=None, request_id=""):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack or []}


def _user_stack(tb):
    frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
    return traceback.format_list(frames)


def load_handler(spec):
    """The handler function, or raise _InitError shaped as AWS reports it."""
    try:
        module_path, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}",
                         _user_stack(exc.__traceback__))
    except Exception as exc:
        raise _InitError(type(exc).__name__, str(exc), _user_stack(exc.__traceback__))
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return handler


class _InitError(Exception):
    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.payload = _error(error_type, message, stack)


class _Response:
    __slots__ = ("status", "headers")

    def __init__(self, status, headers):
        self.status, self.headers = status, headers


class RuntimeClient:
    """A minimal keep-alive HTTP/1.1 client: http.client parses headers with the email
    package, which costs more than the rest of a warm invocation."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))
        self.sock = None
        self.buffer = b""

    def _connect(self):
        unix_path = os.environ.get("_PC_RUNTIME_SOCKET")
        if unix_path:  # pocketcloud's cheaper local path to the same API
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection(self.address)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request(self, method, path, body=None, headers=None):
        body = body or b""
        head = f"{method} {API}{path} HTTP/1.1\r\nHost: runtime\r\nContent-Length: {len(body)}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        data = head.encode("latin-1") + b"\r\n" + body
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(data)
                return self._read_response()
            except OSError:
                self.sock = None
                if attempt:
                    raise

    def _read_response(self):
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("runtime API closed the connection")
            self.buffer += chunk
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = self.sock.recv(max(65536, length - len(rest)))
            if not chunk:
                raise ConnectionError("runtime API closed the connection")
            rest += chunk
        self.buffer = rest[length:]
        return _Response(int(lines[0].split(" ", 2)[1]), headers), rest[:length]

    def post(self, path, body, headers=None):
        self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})


def _end_marker(request_id):
    sys.stdout.flush()
    sys.stderr.flush()
    if SENTINEL:
        os.write(1, b"\x00PCEND " + request_id.encode() + b"\x00")


SENTINEL = bool(os.environ.get("_PC_SENTINEL"))


def main():
    limit = os.environ.get("_PC_MEMORY_LIMIT")
    if limit:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
        except (ImportError, ValueError, OSError):
            pass  # not every OS lets a process cap its address space
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    _setup_logging()
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except _InitError as exc:
        payload = exc.payload
        print(f"[ERROR] {payload['errorType']}: {payload['errorMessage']}", flush=True)
        client.post("/init/error", json.dumps(payload).encode(),
                    {"Lambda-Runtime-Function-Error-Type": payload["errorType"]})
        sys.exit(1)
    while True:
        response, body = client.request("GET", "/invocation/next")
        headers = response.headers
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        RequestIdFilter.request_id = request_id
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("lambda-runtime-trace-id", "")
        context = LambdaContext(request_id, int(headers.get("lambda-runtime-deadline-ms", "0")),
                                headers.get("lambda-runtime-invoked-function-arn"),
                                headers.get("lambda-runtime-client-context"),
                                headers.get("lambda-runtime-cognito-identity"))
        try:
            event = json.loads(body) if body else {}
        except ValueError as exc:
            error = _error("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}", request_id=request_id)
            _end_marker(request_id)
            client.post(f"/invocation/{request_id}/error", json.dumps(error).encode(),
                        {"Lambda-Runtime-Function-Error-Type": error["errorType"]})
            continue
        try:
            result = handler(event, context)
            try:
                out = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                raise _InitError("Runtime.MarshalError", f"Unable to marshal response: {exc}")
        except _InitError as exc:
            error = dict(exc.payload, requestId=request_id)
        except MemoryError:
            # Past the memory limit: report as AWS does, then leave (the environment is spent).
            error = _error("Runtime.OutOfMemory", f"RequestId: {request_id} Error: Runtime exited with error: "
                           "out of memory", request_id=request_id)
            _end_marker(request_id)
            client.post(f"/invocation/{request_id}/error", json.dumps(error).encode(),
                        {"Lambda-Runtime-Function-Error-Type": error["errorType"]})
            os._exit(1)
        except Exception as exc:
            stack = _user_stack(exc.__traceback__)
            error = _error(type(exc).__name__, str(exc), stack, request_id)
            print(f"[ERROR] {error['errorType']}: {error['errorMessage']}\nTraceback (most recent call last):\n"
                  + "".join(stack), end="", flush=True)
        else:
            _end_marker(request_id)
            client.post(f"/invocation/{request_id}/response", out)
            continue
        _end_marker(request_id)
        client.post(f"/invocation/{request_id}/error", json.dumps(error).encode(),
                    {"Lambda-Runtime-Function-Error-Type": error["errorType"]})


if __name__ == "__main__":
    main()
