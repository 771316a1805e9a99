#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/corpus/<target>/ from vectors/ and the
sample texts of protocol-core's tests. Seeds are named after their source; rerunning is
idempotent. Usage: python3 fuzz/make_corpus.py"""
import json, os, re, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
wire = json.loads((root / "vectors" / "wire.json").read_text())


def put(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


# frame_decoder: [mode, chunk seed] + stream; mode 0 = Modern, 1 = Modern+LZ4, 2 = Legacy32.
frames = [(f["name"], bytes.fromhex(f["frame_hex"])) for f in wire["frames"] + wire["captured_frames"]]
for name, b in frames:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    for mode in (0, 1, 2):
        put("frame_decoder", f"wire_{slug}_m{mode}", bytes([mode, 7]) + b)
for i, f in enumerate(wire["bad_frame_headers"]):
    put("frame_decoder", f"bad_header_{i}_m1", bytes([1, 3]) + bytes.fromhex(f["bytes_hex"]))
stream = b"".join(b for _, b in frames)
for mode in (0, 1, 2):
    put("frame_decoder", f"all_frames_m{mode}", bytes([mode, 42]) + stream)
# Legacy32: 32-bit length + type, no compression (networks.md §6).
ping = bytes.fromhex(wire["frames"][0]["payload_hex"])
put("frame_decoder", "legacy32_ping", bytes([2, 1]) + len(ping).to_bytes(4, "big") + (3).to_bytes(2, "big") + ping)

# handshake: [selector] + head; selector bits 0-1 network (0 XRPL, 1 XDV, 2 SWTC, 3 Xahau),
# bit 2 public remote address, bit 3 [network_id] set, bit 4 [overlay] public_ip set.
sig = wire["session_signatures"][0]
key = wire["keys"][0]
assert sig["node_public_base58"] == key["node_public_base58"]["xrpl"]


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def with_valid_identity(head, alphabet="xrpl"):
    head = re.sub(r"(?m)^Public-Key: .*$", "Public-Key: " + key["node_public_base58"][alphabet], head)
    return re.sub(r"(?m)^Session-Signature: .*$", "Session-Signature: " + sig["session_signature_header"], head)


hs_dir = root / "vectors" / "handshakes"
for p in sorted(hs_dir.glob("*.txt")):
    text = p.read_text()
    put("handshake", f"{p.stem}_captured", b"\x00" + crlf(text).encode())
    valid = crlf(with_valid_identity(text))
    for sel in (0x00, 0x04, 0x08, 0x14):
        put("handshake", f"{p.stem}_signed_s{sel:02x}", bytes([sel]) + valid.encode())

rtxp_request = """GET / HTTP/1.1
User-Agent: skywelld-0.2.4
Upgrade: RTXP/1.2
Connection: Upgrade
Connect-As: Peer
Crawl: public
Public-Key: X
Session-Signature: X

"""
for sel, alpha in ((0x01, "xdv"), (0x02, "swtc")):
    put("handshake", f"rtxp_request_s{sel:02x}", bytes([sel]) + crlf(with_valid_identity(rtxp_request, alpha)).encode())
redirect = '{"peer-ips":["203.0.113.1:51235","[2001:db8::1]:51235"]}'
put("handshake", "redirect_503", b"\x00" + crlf(
    "HTTP/1.1 503 Service Unavailable\nServer: rippled-2.3.0\nContent-Type: application/json\n"
    f"Content-Length: {len(redirect)}\n\n").encode() + redirect.encode())

# config: rippled.cfg shaped after rippled-example.cfg (protocol-core/tests/config.rs).
tests = root / "protocol-core" / "tests"
cfg = re.search(r'const EXAMPLE: &str = r#"(.*?)"#;', (tests / "config.rs").read_text(), re.S).group(1)
put("config", "rippled_example_cfg", cfg)
put("config", "minimal_cfg", "[port_peer]\nport = 51235\nip = 0.0.0.0\nprotocol = peer\n\n[server]\nport_peer\n")

# crawl: rippled-shaped /crawl bodies (protocol-core/tests/crawl.rs, dev-portal sample).
body = re.search(r'const RIPPLED_SAMPLE: &str = r#"(.*?)"#;', (tests / "crawl.rs").read_text(), re.S).group(1)
put("crawl", "rippled_1_2_1_sample", body)
put("crawl", "rippled_1_2_1_sample_compact", json.dumps(json.loads(body), separators=(",", ":")))
put("crawl", "overlay_only", '{"overlay":{"active":[{"type":"in","port":51235,"ip":"1.2.3.4","uptime":5}]},"version":2}')
