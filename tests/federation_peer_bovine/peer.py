"""A fediverse peer built on bovine-herd, for the federation tests: one actor ("peer") on loopback.

bovine-herd checks the HTTP Signature of every request to its inbox and actor, and bovine signs
what the actor sends; nothing here verifies or signs by hand. Control addresses (/control/...)
let a test make the actor act, through bovine's own outbox processing, and read what its inbox
accepted. Run with the virtualenv made from requirements.txt, in the folder for its data (its
database, and the JSON-LD cache bovine keeps in the working folder):

    python peer.py CERT_FILE KEY_FILE

It serves HTTPS on a free loopback port and prints `listening PORT` once the actor exists; its
own requests trust the CA named by SSL_CERT_FILE.
"""

import asyncio
import socket
import sys

from bovine.activitystreams import factories_for_actor_object
from bovine.types import Visibility
from bovine_herd import BovineHerd
from bovine_process import handle_outbox_item, process_inbox_item, process_outbox_item
from bovine_process.types import ProcessingItem
from bovine_store import BovineAdminStore
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, current_app, request

cert_file, key_file = sys.argv[1:3]
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
port = listener.getsockname()[1]
domain = f"https://127.0.0.1:{port}"
received: list[dict] = []
peer: dict[str, str] = {}


async def record_then_process(item: ProcessingItem, actor) -> None:
    """Reached only once bovine-herd has verified the request's HTTP Signature."""
    received.append(item.data)
    current_app.add_background_task(process_inbox_item, item, actor)


app = Quart(__name__)
BovineHerd(
    app,
    db_url="sqlite://bovine.sqlite3",
    start_background_task_inbox=record_then_process,
)


@app.before_serving
async def create_actor() -> None:
    """The one actor, @peer@127.0.0.1:PORT, with keys bovine makes (after the tables exist)."""
    peer["name"] = await BovineAdminStore(domain=domain).register("peer")
    actor = await current_app.config["bovine_store"].actor_for_name(peer["name"])
    peer["id"], peer["inbox"] = actor.actor_object.id, actor.actor_object.inbox
    print(f"listening {port}", flush=True)


async def our_actor():
    return await current_app.config["bovine_store"].actor_for_name(peer["name"])


async def send(actor, activity: dict) -> dict:
    """What the outbox does with a client's POST, then delivery, before answering."""
    item = await handle_outbox_item(ProcessingItem(actor.actor_object.id, activity), actor)
    await process_outbox_item(item, actor)
    return {"sent": item.data["id"]}


@app.get("/control/actor")
async def actor_addresses():
    return {"id": peer["id"], "inbox": peer["inbox"]}


@app.get("/control/received")
async def inbox_items():
    return received


@app.post("/control/follow")
async def follow():
    args = await request.get_json()
    actor = await our_actor()
    activities, _ = factories_for_actor_object(actor.actor_object.build(Visibility.OWNER))
    return await send(actor, activities.follow(args["actor"]).build())


@app.post("/control/unfollow")
async def unfollow():
    args = await request.get_json()
    actor = await our_actor()
    followed = await actor.retrieve(args["follow"])
    activities, _ = factories_for_actor_object(actor.actor_object.build(Visibility.OWNER))
    return await send(actor, activities.undo(followed).build())


@app.post("/control/like")
async def like():
    args = await request.get_json()
    actor = await our_actor()
    liked = await actor.retrieve(args["object"])
    activities, _ = factories_for_actor_object(actor.actor_object.build(Visibility.OWNER))
    return await send(actor, activities.like(liked["id"], to={liked["attributedTo"]}).build())


@app.post("/control/reply")
async def reply():
    args = await request.get_json()
    actor = await our_actor()
    original = await actor.retrieve(args["inReplyTo"])
    activities, objects = factories_for_actor_object(actor.actor_object.build(Visibility.OWNER))
    # A Note, as bovine's clients write replies (ObjectFactory.reply would copy the Article type).
    note = objects.note(
        content=args["content"], in_reply_to=original["id"], to={original["attributedTo"]}
    ).build()
    return await send(actor, activities.create(note).build())


config = Config()
config.bind = [f"fd://{listener.fileno()}"]
config.certfile = cert_file
config.keyfile = key_file
asyncio.run(serve(app, config))
