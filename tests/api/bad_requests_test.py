#!/usr/bin/env python3
"""Bad requests against a live `corral serve`: each must get a 4xx with a clear JSON error
body naming the problem, and the server must keep serving (a good request follows each one).
Raw sockets are used where an HTTP client would refuse to send the request (invalid UTF-8,
lying Content-Length, foreign Host headers).

Env: CORRAL_BIN, CORRAL_SMOLLM2_GGUF (optional: model-dependent cases need it)."""
import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_clients_test as act  # noqa: E402
import store_helper  # noqa: E402

M = "smollm2"
MSG = [{"role": "user", "content": "hi"}]


def raw_request(port, data, timeout=30):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            b = sock.recv(65536)
            if not b:
                break
            chunks.append(b)
    resp = b"".join(chunks)
    head, _, body = resp.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode()
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, headers, body


def post_raw(port, path, body_bytes, extra=b"", host=b"127.0.0.1"):
    req = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n" +
           extra + b"Content-Length: " + str(len(body_bytes)).encode() + b"\r\nConnection: close\r\n\r\n" + body_bytes)
    return raw_request(port, req)


def cases(have_model):
    """(name, method, path, json body or raw bytes, expected status or tuple, part of the error)."""
    m = M if have_model else "nope"
    c = [
        ("malformed JSON", "POST", "/api/generate", b"{not json", 400, "invalid JSON"),
        ("truncated JSON", "POST", "/api/chat", b'{"model": "x", "messages": [', 400, "invalid JSON"),
        ("JSON array body", "POST", "/api/generate", b"[1, 2]", 400, "JSON object"),
        ("empty body", "POST", "/api/generate", b"", 400, "body"),
        ("missing model", "POST", "/api/generate", {"prompt": "x"}, 400, "model is required"),
        ("model is a number", "POST", "/api/generate", {"model": 5}, 400, "'model' must be a string"),
        ("unknown model generate", "POST", "/api/generate", {"model": "nope-model", "prompt": "x"}, 404, "not found"),
        ("unknown model chat", "POST", "/api/chat", {"model": "nope-model", "messages": MSG}, 404, "not found"),
        ("unknown model show", "POST", "/api/show", {"model": "nope-model"}, 404, "not found"),
        ("unknown model embed", "POST", "/api/embed", {"model": "nope-model", "input": "x"}, 404, "not found"),
        ("unknown model openai", "POST", "/v1/chat/completions", {"model": "nope-model", "messages": MSG}, 404, "not found"),
        ("unknown model delete", "DELETE", "/api/delete", {"model": "nope-model"}, 404, "not found"),
        ("traversal name", "POST", "/api/generate", {"model": "../../etc/passwd", "prompt": "x"}, 400, "invalid model name"),
        ("traversal copy", "POST", "/api/copy", {"source": m, "destination": "../evil"}, 400, "invalid destination"),
        ("traversal delete", "DELETE", "/api/delete", {"model": "a/../../b"}, 400, "invalid model name"),
        ("traversal blob digest", "HEAD", "/api/blobs/..%2F..%2Fetc", None, (400, 404), None),
        ("bad blob digest", "POST", "/api/blobs/sha256:zz", b"data", 400, "sha256"),
        ("stream not bool", "POST", "/api/generate", {"model": m, "prompt": "x", "stream": "yes"}, 400, "'stream'"),
        ("prompt not string", "POST", "/api/generate", {"model": m, "prompt": 42}, 400, "'prompt'"),
        ("options not object", "POST", "/api/generate", {"model": m, "prompt": "x", "options": [1]}, 400, "'options'"),
        ("num_ctx string", "POST", "/api/generate", {"model": m, "prompt": "x", "options": {"num_ctx": "big"}}, 400, "num_ctx"),
        ("huge num_ctx", "POST", "/api/generate", {"model": m, "prompt": "x", "options": {"num_ctx": 10 ** 12}}, 400, "num_ctx"),
        ("negative num_ctx", "POST", "/api/generate", {"model": m, "prompt": "x", "options": {"num_ctx": -5}}, 400, "num_ctx"),
        ("negative num_predict", "POST", "/api/generate", {"model": m, "prompt": "x", "options": {"num_predict": -7}}, 400, "num_predict"),
        ("temperature string", "POST", "/api/chat", {"model": m, "messages": MSG, "options": {"temperature": "hot"}}, 400, "temperature"),
        ("top_p out of range", "POST", "/api/chat", {"model": m, "messages": MSG, "options": {"top_p": 7}}, 400, "top_p"),
        ("seed float", "POST", "/api/generate", {"model": m, "prompt": "x", "options": {"seed": 1.5}}, 400, "seed"),
        ("stop not strings", "POST", "/api/generate", {"model": m, "prompt": "x", "options": {"stop": [1]}}, 400, "stop"),
        ("bad keep_alive", "POST", "/api/generate", {"model": m, "prompt": "x", "keep_alive": "soon"}, 400, "keep_alive"),
        ("keep_alive object", "POST", "/api/generate", {"model": m, "prompt": "x", "keep_alive": {}}, 400, "keep_alive"),
        ("messages not list", "POST", "/api/chat", {"model": m, "messages": "hi"}, 400, "'messages'"),
        ("message without role", "POST", "/api/chat", {"model": m, "messages": [{"content": "x"}]}, 400, "role"),
        ("message not object", "POST", "/api/chat", {"model": m, "messages": ["hi"]}, 400, "message"),
        ("bad images", "POST", "/api/generate", {"model": m, "prompt": "x", "images": ["@@not base64@@"]}, (400, 501), "images"),
        ("bad format string", "POST", "/api/generate", {"model": m, "prompt": "x", "format": "yaml"}, 400, "format"),
        ("format number", "POST", "/api/chat", {"model": m, "messages": MSG, "format": 3}, 400, "format"),
        ("unsatisfiable schema", "POST", "/api/chat", {"model": m, "messages": MSG,
                                                       "format": {"type": "array", "minItems": 3, "maxItems": 1}}, 400, "never be satisfied"),
        ("schema false", "POST", "/api/chat", {"model": m, "messages": MSG, "format": {"type": "object", "properties": {"a": False},
                                                                                         "required": ["a"]}}, 400, "never be satisfied"),
        ("unsupported schema keyword", "POST", "/api/chat", {"model": m, "messages": MSG,
                                                             "format": {"type": "string", "pattern": "^a$"}}, 400, "'pattern'"),
        ("required not listed", "POST", "/api/chat", {"model": m, "messages": MSG,
                                                      "format": {"type": "object", "properties": {}, "required": ["x"]}}, 400, "'x'"),
        ("tools not list", "POST", "/api/chat", {"model": m, "messages": MSG, "tools": "get_weather"}, 400, "'tools'"),
        ("tool without name", "POST", "/api/chat", {"model": m, "messages": MSG, "tools": [{"type": "function", "function": {}}]}, 400, "name"),
        ("bad think level", "POST", "/api/chat", {"model": m, "messages": MSG, "think": "extreme"}, 400, "think"),
        ("openai empty messages", "POST", "/v1/chat/completions", {"model": m, "messages": []}, 400, "messages"),
        ("openai bad response_format", "POST", "/v1/chat/completions", {"model": m, "messages": MSG,
                                                                        "response_format": {"type": "xml"}}, 400, "response_format"),
        ("openai n=3", "POST", "/v1/chat/completions", {"model": m, "messages": MSG, "n": 3}, 400, "'n'"),
        ("embed input number", "POST", "/api/embed", {"model": m, "input": 5}, 400, "input"),
        ("embed truncate string", "POST", "/api/embed", {"model": m, "input": "x", "truncate": "no"}, 400, "truncate"),
        ("openai embed bad encoding", "POST", "/v1/embeddings", {"model": m, "input": "x", "encoding_format": "hex"}, 400, "encoding_format"),
        ("openai embed no input", "POST", "/v1/embeddings", {"model": m}, 400, "input"),
        ("copy without destination", "POST", "/api/copy", {"source": m}, 400, "destination"),
        ("wrong method GET generate", "GET", "/api/generate", None, (404, 405), None),
        ("wrong method POST tags", "POST", "/api/tags", {}, (404, 405), None),
        ("wrong method GET delete", "GET", "/api/delete", None, (404, 405), None),
        ("unknown route", "GET", "/api/nothing-here", None, 404, "not found"),
        ("unknown v1 route", "POST", "/v1/images/generations", {}, 404, "not found"),
    ]
    return c


def check_error_body(name, status, headers, body, part):
    assert 400 <= status < 500, f"{name}: status {status}"
    if part is None and not body:
        return
    try:
        j = json.loads(body)
    except ValueError:
        raise AssertionError(f"{name}: error body is not JSON: {body[:200]!r}")
    err = j.get("error")
    if isinstance(err, dict):  # OpenAI's shape
        err = err.get("message")
    assert isinstance(err, str) and err, f"{name}: no error message in {j}"
    if part is not None:
        assert part.lower() in err.lower(), f"{name}: error {err!r} lacks {part!r}"


def main():
    failures = 0
    n_cases = 0
    with tempfile.TemporaryDirectory(prefix="corral-bad-") as store:
        if act.HAVE_MODEL:
            store_helper.add_model(store, M, act.GGUF)
        s = act.Server(store, act.free_port())

        def good():
            code, _, body = act.http(s, "GET", "/api/tags")
            assert code == 200 and "models" in json.loads(body), (code, body)

        def run(name, fn):
            nonlocal failures, n_cases
            n_cases += 1
            try:
                fn()
                good()
                print(f"ok   {name}")
            except Exception as e:  # noqa: BLE001
                failures += 1
                print(f"FAIL {name}: {e}")

        for name, method, path, body, status, part in cases(act.HAVE_MODEL):
            def one(name=name, method=method, path=path, body=body, status=status, part=part):
                raw = body if isinstance(body, bytes) else None
                code, headers, payload = act.http(s, method, path, None if raw is not None else body, raw)
                want = status if isinstance(status, tuple) else (status,)
                assert code in want, f"status {code}, expected {want}: {payload[:300]!r}"
                check_error_body(name, code, headers, payload if method != "HEAD" else b"", part)
            run(name, one)

        def invalid_utf8():
            code, h, body = post_raw(s.port, "/api/generate", b'{"model": "' + M.encode() + b'", "prompt": "\xff\xfe"}')
            check_error_body("invalid UTF-8", code, h, body, "invalid JSON")
        run("invalid UTF-8", invalid_utf8)

        def invalid_utf8_name():
            code, h, body = post_raw(s.port, "/api/show", b'{"model": "\xc3\x28"}')
            check_error_body("invalid UTF-8 name", code, h, body, None)
        run("invalid UTF-8 in model name", invalid_utf8_name)

        def oversize():
            big = b'{"model": "x", "prompt": "' + b"a" * (33 << 20) + b'"}'
            try:
                code, h, body = post_raw(s.port, "/api/generate", big)
            except (BrokenPipeError, ConnectionResetError):
                return  # refused before the body was read: also fine
            assert code == 413, code
            check_error_body("oversize body", code, h, body, "limit")
        run("oversize body", oversize)

        def lying_length():
            req = (b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999\r\n"
                   b"Connection: close\r\n\r\n{}")
            code, h, body = raw_request(s.port, req)
            check_error_body("huge Content-Length", code, h, body, "limit")
        run("huge Content-Length", lying_length)

        def rebinding():
            req = b"GET /api/tags HTTP/1.1\r\nHost: evil.example.com\r\nConnection: close\r\n\r\n"
            code, h, body = raw_request(s.port, req)
            assert code == 403, code
            check_error_body("DNS rebinding", code, h, body, "not allowed")
            req = b"GET /api/tags HTTP/1.1\r\nHost: localhost:11434\r\nConnection: close\r\n\r\n"
            assert raw_request(s.port, req)[0] == 200
        run("foreign Host header (DNS rebinding)", rebinding)

        def cors():
            req = (b"OPTIONS /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example.com\r\n"
                   b"Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n")
            code, h, body = raw_request(s.port, req)
            assert code == 403 and "access-control-allow-origin" not in h, (code, h)
            check_error_body("CORS", code, h, body, "origin")
            req = (b"OPTIONS /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://localhost:3000\r\n"
                   b"Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n")
            code, h, _ = raw_request(s.port, req)
            assert code == 204 and h.get("access-control-allow-origin") == "http://localhost:3000", (code, h)
        run("CORS origin not allowed", cors)

        def not_json_method():
            code, h, body = post_raw(s.port, "/api/chat", b'{"model": "' + M.encode() + b'", "messages": null, "stream": 1}')
            check_error_body("stream number", code, h, body, "'stream'")
        run("stream is a number", not_json_method)

        try:
            s.stop()
        except AssertionError as e:
            failures += 1
            print("FAIL shutdown:", e)
        if failures:
            print("---- server output ----\n" + s.output()[-5000:])
    print(f"{n_cases} bad requests, {failures} failures")
    assert n_cases >= 40
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
