#!/usr/bin/env python3
"""Derives the shipped session vectors from ../wire.json (independent known answers) and the
rippled 1.9.3 capture in overlay-wire.md §2.7 (../handshakes/). Re-run after wire.json changes:
    python3 vectors/sessions/derive_from_wire.py
Nothing here is produced by our own encoder: heads are literal text, frames are wire.json hex."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
wire = json.load(open(os.path.join(HERE, "..", "wire.json")))
sig = wire["session_signatures"][0]
tampered = next(r for r in wire["session_signature_rejects"] if r["name"] == "tampered signature")
frames = {f["name"]: f for f in wire["frames"]}
NET_TIME = 731242816  # Network-Time of the rippled 1.9.3 capture (§2.7)
INITIATOR_SEED = wire["keys"][0]["seed_base58"]["xrpl"]  # masterpassphrase: the key wire.json signed with
RESPONDER_SEED = "snMKnVku798EnBwUfxeSD8953sLYA"  # rippled Seed_test "Non-Random Passphrase"
FORMAT = "xrpl-overlay-session/1"

def crlf(lines):
    return "\r\n".join(lines) + "\r\n\r\n"

def request(extra=None, time="{{NETWORK_TIME}}", key=sig["node_public_base58"]):
    lines = [
        "GET / HTTP/1.1",
        "User-Agent: rippled-1.9.3",
        "Upgrade: XRPL/2.0, XRPL/2.1, XRPL/2.2",
        "Connection: Upgrade",
        "Connect-As: Peer",
        "Crawl: public",
        "X-Protocol-Ctl: ledgerreplay=1;txrr=1;",
        f"Network-Time: {time}",
        f"Public-Key: {key}",
        "Session-Signature: {{SESSION_SIGNATURE}}",
    ]
    return crlf(lines + (extra or []))

RESPONSE = crlf([
    "HTTP/1.1 101 Switching Protocols",
    "Connection: Upgrade",
    "Upgrade: XRPL/2.2",
    "Connect-As: Peer",
    "Server: rippled-1.9.3",
    "Crawl: public",
    "X-Protocol-Ctl: ",
    "Network-Time: {{NETWORK_TIME}}",
    "Public-Key: {{PUBLIC_KEY}}",
    "Session-Signature: {{SESSION_SIGNATURE}}",
])

def base(name, description, events, **kw):
    v = {
        "format": FORMAT,
        "name": name,
        "description": description,
        "source": "derived from vectors/wire.json by vectors/sessions/derive_from_wire.py",
        "network": "xrpl",
        "initiator": {"seed": INITIATOR_SEED, "software": "wire.json masterpassphrase node"},
        "responder": {"seed": RESPONDER_SEED, "software": "replay responder"},
        "tls": {"initiator_finished_hex": sig["local_finished_hex"], "responder_finished_hex": sig["peer_finished_hex"]},
        "net_time": NET_TIME,
        "verify": True,
        "compression": False,
        "events": events,
    }
    v.update(kw)
    return v

def frame(dir_, f, message, fields=None, expect="message"):
    e = {"dir": dir_, "hex": f["frame_hex"], "expect": expect, "message": message}
    if fields is not None:
        e["fields"] = fields
    return e

vectors = {}
vectors["wire-session"] = base(
    "wire-session",
    "Full session: request carrying wire.json's known-answer Session-Signature over the known Finished "
    "messages (must verify), a 101 signed by the responder seed, ping, pong, TMEndpoints v2 and the "
    "rippled 1.9.3 TMValidation capture.",
    [
        {"dir": "i2r", "head": request(), "recorded": {"SESSION_SIGNATURE": sig["session_signature_header"]}, "status": 101,
         "note": "recorded signature = wire.json session_signatures[0].session_signature_header"},
        {"dir": "r2i", "head": RESPONSE, "status": 101, "note": "signature made at replay from the responder seed"},
        frame("i2r", frames["ping"], "mtPING", {"type": 0, "seq": 3735928559}),
        frame("r2i", frames["pong"], "mtPING", {"type": 1, "seq": 3735928559}),
        frame("i2r", frames["endpoints_v2"], "mtENDPOINTS", {"version": 2, "endpoints_v2": [
            {"endpoint": "10.0.0.1:51235", "hops": 0}, {"endpoint": "[2001:db8::1]:51235", "hops": 1},
            {"endpoint": "192.0.2.7:2459", "hops": 2}]}),
        {"dir": "r2i", "hex": wire["captured_frames"][0]["frame_hex"], "expect": "message", "message": "mtVALIDATION"},
    ],
)
vectors["wire-tampered-signature"] = base(
    "wire-tampered-signature",
    "wire.json's tampered Session-Signature over the known Finished messages: the responder answers 400.",
    [{"dir": "i2r", "head": request(), "recorded": {"SESSION_SIGNATURE": tampered["session_signature_header"]}, "status": 400}],
)
vectors["wire-clock-skew"] = base(
    "wire-clock-skew",
    "Valid known-answer signature but Network-Time 60 s ahead of the responder's clock (tolerance 20 s): 400.",
    [{"dir": "i2r", "head": request(time=str(NET_TIME + 60)), "recorded": {"SESSION_SIGNATURE": sig["session_signature_header"]}, "status": 400}],
)
vectors["wire-self-connection"] = base(
    "wire-self-connection",
    "The responder is the same node key as the initiator (both the masterpassphrase seed): 400 Self connection.",
    [{"dir": "i2r", "head": request(), "recorded": {"SESSION_SIGNATURE": sig["session_signature_header"]}, "status": 400}],
    responder={"seed": INITIATOR_SEED, "software": "same node"},
)
vectors["wire-lz4-endpoints"] = base(
    "wire-lz4-endpoints",
    "Frames only, compr=lz4 negotiated: wire.json's LZ4-compressed TMEndpoints decodes to the same entries.",
    [frame("r2i", frames["endpoints_v2_lz4"], "mtENDPOINTS")],
    compression=True,
)
vectors["wire-unknown-type"] = base(
    "wire-unknown-type",
    "Frames only: a frame of unknown type 99 is skipped, then a ping still decodes.",
    [{"dir": "i2r", "hex": "000000040063DEADBEEF", "expect": "skip"}, frame("i2r", frames["ping"], "mtPING", {"type": 0})],
)
for i, bad in enumerate(wire["bad_frame_headers"], 1):
    negotiated = "did not negotiate" not in bad["name"]
    vectors[f"wire-bad-header-{i}"] = base(
        f"wire-bad-header-{i}",
        f"Frames only: {bad['name']} -> disconnect.",
        [frame("i2r", frames["ping"], "mtPING"), {"dir": "i2r", "hex": bad["bytes_hex"], "expect": "disconnect", "note": bad["name"]}],
        compression=negotiated,
    )

# The rippled 1.9.3 heads of §2.7 (captured in two different sessions, no Finished published):
# format vectors, signatures not checked.
hs = os.path.join(HERE, "..", "handshakes")
def head_file(name):
    text = open(os.path.join(hs, name)).read().rstrip("\n")
    return "\r\n".join(text.split("\n")) + "\r\n\r\n"
vectors["rippled-1.9.3-capture"] = base(
    "rippled-1.9.3-capture",
    "rippled 1.9.3 request and response heads from overlay-wire.md §2.7 (runziggurat capture). "
    "Captured in different sessions without their TLS Finished messages, so signatures are not checked: "
    "the request must classify as a peer upgrade, the response must offer exactly one acceptable version.",
    [{"dir": "i2r", "head": head_file("rippled-1.9.3-request.txt"), "status": 101},
     {"dir": "r2i", "head": head_file("rippled-1.9.3-response.txt"), "status": 101}],
    verify=False, tls=None, source="overlay-wire.md §2.7 (runziggurat/ripple src/protocol/handshake.rs)",
    initiator={"software": "rippled 1.9.3"}, responder={"software": "rippled 1.9.3"},
)

for name, v in vectors.items():
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(v, f, indent=2)
        f.write("\n")
print(f"wrote {len(vectors)} vectors")
