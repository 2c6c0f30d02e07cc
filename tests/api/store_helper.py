"""Writes a model into a corral/Ollama store folder the way the store layout defines it:
blobs/sha256-<hex> for the GGUF, a config blob and optional text layers, and a Docker v2
manifest at manifests/<host>/<namespace>/<model>/<tag>. Used by the API test until
`corral create` is available."""
import hashlib
import json
import os
import shutil

MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_MODEL = "application/vnd.ollama.image.model"
MT_TEMPLATE = "application/vnd.ollama.image.template"
MT_SYSTEM = "application/vnd.ollama.image.system"
MT_PARAMS = "application/vnd.ollama.image.params"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _put_bytes(store, data):
    hexd = hashlib.sha256(data).hexdigest()
    with open(os.path.join(store, "blobs", "sha256-" + hexd), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + hexd, "size": len(data)}


def _put_file(store, path):
    hexd = sha256_file(path)
    dst = os.path.join(store, "blobs", "sha256-" + hexd)
    if not os.path.exists(dst):
        try:
            os.link(path, dst)
        except OSError:
            shutil.copyfile(path, dst)
    return {"digest": "sha256:" + hexd, "size": os.path.getsize(path)}


def add_model(store, name, gguf_path, template=None, system=None, params=None,
              host="registry.ollama.ai", namespace="library", tag="latest"):
    os.makedirs(os.path.join(store, "blobs"), exist_ok=True)
    layers = [dict(mediaType=MT_MODEL, **_put_file(store, gguf_path))]
    if template is not None:
        layers.append(dict(mediaType=MT_TEMPLATE, **_put_bytes(store, template.encode())))
    if system is not None:
        layers.append(dict(mediaType=MT_SYSTEM, **_put_bytes(store, system.encode())))
    if params is not None:
        layers.append(dict(mediaType=MT_PARAMS, **_put_bytes(store, json.dumps(params).encode())))
    config = {"model_format": "gguf", "architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}
    cfg = dict(mediaType=MT_CONFIG, **_put_bytes(store, json.dumps(config).encode()))
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cfg, "layers": layers}
    d = os.path.join(store, "manifests", host, namespace, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, tag), "w") as f:
        json.dump(manifest, f)
    return manifest
