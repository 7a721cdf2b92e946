"""ActivityPub: the blog as one fediverse actor that people follow, off unless turned on.

With `FEDERATION_ENABLED` (and an https `SITE_URL`) other servers find the blog by WebFinger
and NodeInfo (`views.py`, `documents.py`), follow its actor, and receive each public post as an
Article carrying its disclosure and license; the worker delivers them (`delivery.py`, signed by
`signatures.py` with the key from `keys.py`). Likes, boosts and replies come back to the signed
inbox (`inbox.py`); replies wait for the author in the studio (`moderation.py`) or on the
command line (`blog/cli_fediverse.py`), both deciding through `replies.py` and blocking
servers and accounts through `blocks.py`.
`hooks.init_app` wires it into the app. This file imports nothing, so the post page can read
`reactions` without loading the rest.
"""
