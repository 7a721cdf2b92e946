"""Exports of other assistants: Grok's and DeepSeek's data exports, Google AI Studio's prompts."""

from __future__ import annotations

import copy
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blog.extensions import db
from blog.formats.base import ImportFormatError
from blog.formats.deepseek import parse_deepseek
from blog.formats.detect import detect_format, read_conversations
from blog.formats.google.ai_studio import parse_ai_studio
from blog.formats.grok import parse_grok
from blog.imports.files import import_file
from blog.models import Asset, Post, User

FIXTURES = Path(__file__).parent / "fixtures"
GROK = FIXTURES / "grok_export.json"
AI_STUDIO = FIXTURES / "ai_studio_autumn_leaves"
DEEPSEEK = FIXTURES / "deepseek_conversations.json"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
UPLOAD_ID = "7c1d9e2f-3a4b-4c5d-8e6f-0a1b2c3d4e5f"


def grok_export() -> dict:
    return json.loads(GROK.read_text(encoding="utf-8"))


def studio_prompt() -> dict:
    return json.loads(AI_STUDIO.read_text(encoding="utf-8"))


def shown(conversation):
    return [(turn.role, turn.text) for turn in conversation.turns if not turn.hidden]


def hidden(conversation):
    return [(turn.role, turn.speaker, turn.text) for turn in conversation.turns if turn.hidden]


def grok_zip(tmp_path: Path) -> Path:
    """The export as grok.com sends it: the JSON beside the account files and uploads."""
    folder = "ttl/30d/export_data/0d9e8f7a-1111-4222-8333-444455556666"
    path = tmp_path / "grok-export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/prod-grok-backend.json", GROK.read_bytes())
        archive.writestr(f"{folder}/prod-mc-auth-mgmt-api.json", '{"user": {"userId": "u1"}}')
        archive.writestr(f"{folder}/prod-mc-billing.json", '{"credits": 0}')
        archive.writestr(f"{folder}/prod-mc-asset-server/{UPLOAD_ID}/content", JPEG)
    return path


# Grok


def test_grok_export_is_recognised_by_its_structure():
    head = GROK.read_bytes()[:4096]
    assert detect_format(head, "prod-grok-backend.json") == "grok"
    assert detect_format(head, "") == "grok"


def test_grok_shows_the_branch_ending_at_the_newest_response():
    starter, _ = parse_grok(grok_export()["conversations"])

    assert starter.source_kind == "grok"
    assert starter.source_id == "5b0c2e1a-7f43-4d2e-9a61-0c3d2f1e8a01"
    assert starter.title == "Feeding a sourdough starter"
    assert starter.created_at == datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert starter.updated_at == datetime(2025, 3, 1, 9, 2, 10, 654321, tzinfo=UTC)
    assert [role for role, _ in shown(starter)] == ["user", "assistant", "user", "assistant"]
    assert shown(starter)[0][1] == "How do I feed a sourdough starter?"
    assert shown(starter)[2][1] == "And if it smells of acetone? Here is a photo."
    assert shown(starter)[3][1] == (
        "It is hungry: feed it more often. Here is a drawing of a happy starter."
    )
    replies = [turn for turn in starter.turns if turn.role == "assistant"]
    assert [turn.model for turn in replies] == ["grok-3", "grok-4"]
    assert {turn.speaker for turn in replies} == {"Grok"}
    # MongoDB dates are milliseconds since the epoch.
    assert replies[0].created_at == datetime(2025, 3, 1, 9, 1, 0, tzinfo=UTC)


def test_grok_regenerated_reply_is_an_alternative_and_deeper_branches_are_reported():
    starter, _ = parse_grok(grok_export()["conversations"])
    reply = next(turn for turn in starter.turns if turn.role == "assistant")

    assert reply.alternatives == [
        "Feed it equal weights of flour and water once a day.\n\n**Sources**\n\n"
        "- [Starter basics](https://bakery.example/starter-basics)"
    ]
    assert "Thanks, and how warm should it be?" not in json.dumps(
        [(t.text, t.alternatives) for t in starter.turns]
    )
    assert (
        "1 message on other branches of the conversation left out (the first message of "
        "each branch is kept as an alternative)"
    ) in starter.warnings


def test_grok_thinking_is_hidden_reasoning_and_citations_end_the_reply():
    starter, _ = parse_grok(grok_export()["conversations"])

    assert hidden(starter)[0] == (
        "reasoning",
        "Grok (thinking)",
        "The user wants a feeding routine. Give a ratio.",
    )
    assert "routine" not in " ".join(text for _, text in shown(starter))
    # Cited pages win over everything searched; the quoted X post is a source too.
    assert shown(starter)[1][1] == (
        "Discard half, then add 50 g flour and 50 g water.\n\n**Sources**\n\n"
        "- [Feeding ratios (1:1:1)](https://flour.example/ratios)\n"
        "- [X post 1890000000000000001](https://x.com/i/status/1890000000000000001)"
    )


def test_grok_files_are_named_and_what_is_left_out_is_said():
    starter, _ = parse_grok(grok_export()["conversations"])
    prompt = next(turn for turn in starter.turns if turn.attachments and turn.role == "user")
    reply = next(turn for turn in starter.turns if turn.attachments and turn.role == "assistant")

    (photo,) = prompt.attachments
    assert (photo.name, photo.mime_type, photo.data) == ("starter.jpg", "image/jpeg", None)
    (drawing,) = reply.attachments
    assert drawing.name == "users/0d9e8f7a/generated/9f8e7d6c/image.jpg"
    assert starter.warnings[:2] == [
        "2 tool steps of Grok's left out (not displayed by this importer)",
        "1 reply of Grok's was cut off before finishing",
    ]


def test_grok_files_the_export_lacks_are_listed_by_the_shared_rule():
    starter, _ = read_conversations(GROK)
    listed = [turn.text for turn in starter.turns if turn.role == "attachment"]

    assert listed == [
        "- starter.jpg (image/jpeg), not included in the export",
        "- users/0d9e8f7a/generated/9f8e7d6c/image.jpg (image/jpeg), not included in the export",
    ]


def test_grok_without_parent_links_is_read_in_time_order():
    _, primes = parse_grok(grok_export()["conversations"])

    assert primes.title == "Name a prime number between 5 and 13."
    assert shown(primes) == [
        ("user", "Name a prime number between 5 and 13."),
        ("assistant", "Eleven."),
        ("user", "Another one?"),
    ]
    assert primes.turns[1].alternatives == ["Seven."]
    # The sender may be a model's name; it is still Grok speaking.
    assert primes.turns[1].speaker == "Grok"
    assert hidden(primes) == [("system", "Error", "Failed to respond.")]
    assert primes.model == "grok-3"


def test_grok_responses_are_placed_by_their_links_and_times_not_their_order_in_the_file():
    export = grok_export()
    in_order = [shown(c) for c in parse_grok(export["conversations"])]
    for conversation in export["conversations"]:
        conversation["responses"].reverse()

    assert [shown(c) for c in parse_grok(export["conversations"])] == in_order


def test_grok_export_zip_reads_its_uploads_and_skips_the_account_files(tmp_path):
    notes: list[str] = []
    starter, _ = read_conversations(grok_zip(tmp_path), notes=notes)
    prompt = next(turn for turn in starter.turns if turn.role == "user" and turn.attachments)

    (photo,) = prompt.attachments
    assert (photo.name, photo.mime_type, photo.data) == ("starter.jpg", "image/jpeg", JPEG)
    assert [turn.text for turn in starter.turns if turn.role == "attachment"] == [
        "- users/0d9e8f7a/generated/9f8e7d6c/image.jpg (image/jpeg), not included in the export"
    ]
    assert sorted(note.rsplit("/", 1)[1] for note in notes) == [
        "prod-mc-auth-mgmt-api.json: skipped (account data, not a conversation)",
        "prod-mc-billing.json: skipped (account data, not a conversation)",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("responses"), "expected an object with 'conversation' and 'responses'"),
        (lambda c: c["responses"][1]["response"].pop("sender"), "response 2 has no sender"),
    ],
)
def test_broken_grok_conversations_are_refused_naming_the_format(change, message):
    export = grok_export()
    change(export["conversations"][0])
    data = json.dumps(export).encode()

    with pytest.raises(ImportFormatError, match=message) as refused:
        list(read_conversations(data, "prod-grok-backend.json"))
    assert "Grok conversation 1" in str(refused.value)


# Google AI Studio


def test_ai_studio_file_without_extension_is_recognised():
    assert detect_format(AI_STUDIO.read_bytes()[:2048], "Autumn leaves") == "ai-studio"


def test_ai_studio_chunks_become_turns_with_same_role_chunks_joined():
    (leaves,) = read_conversations(AI_STUDIO)

    assert leaves.source_kind == "ai-studio"
    assert leaves.model == "gemini-3-pro-preview"
    assert leaves.title == "Why do leaves change colour in autumn?"
    assert leaves.created_at == datetime(2025, 10, 20, 8, 15, tzinfo=UTC)
    assert leaves.updated_at == datetime(2025, 10, 20, 8, 17, 2, tzinfo=UTC)
    assert shown(leaves) == [
        ("user", "Why do leaves change colour in autumn?"),
        (
            "assistant",
            "Chlorophyll fades in autumn, so the yellow carotenoids that were there all along "
            "show through.\n\n**Sources**\n\n"
            "- [leaves.example](https://www.google.com/url?sa=E&q=https%3A%2F%2Fleaves.example"
            "%2Fautumn)\n"
            "- [trees.example](https://www.google.com/url?sa=E&q=https%3A%2F%2Ftrees.example"
            "%2Fpigments)",
        ),
        ("user", "And the reds?"),
        (
            "assistant",
            "Reds come from anthocyanins, which leaves make fresh in autumn.\n\n"
            "Sunny days and cool nights make more of them, which is why",
        ),
        ("user", "Here is my maple."),
    ]
    replies = [turn for turn in leaves.turns if turn.role == "assistant"]
    assert {(turn.speaker, turn.model) for turn in replies} == {("Gemini", "gemini-3-pro-preview")}


def test_ai_studio_thinking_and_system_instructions_are_hidden_turns():
    (leaves,) = read_conversations(AI_STUDIO)

    assert [(role, speaker) for role, speaker, _ in hidden(leaves)] == [
        ("system", "System instructions"),
        ("attachment", "Uploaded files"),
        ("reasoning", "Gemini (thinking)"),
        ("attachment", "Uploaded files"),
    ]
    assert hidden(leaves)[0][2] == "Answer as a patient botanist."
    assert hidden(leaves)[2][2] == (
        "**Recalling leaf pigments**\n\nChlorophyll breaks down as days shorten."
    )
    # The reasoning comes before the reply it led to.
    roles = [turn.role for turn in leaves.turns]
    assert roles.index("reasoning") == roles.index("assistant") - 1


def test_ai_studio_images_and_documents_are_named_as_attachments():
    (leaves,) = read_conversations(AI_STUDIO)
    first, maple = (turn for turn in leaves.turns if turn.role == "user" and turn.attachments)

    (photo,) = first.attachments
    assert (photo.name, photo.data) == ("Drive image 1LeafPhotoDriveId0000000000000000", None)
    inline, notes = maple.attachments
    assert (inline.name, inline.mime_type) == ("image-1.png", "image/png")
    assert inline.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (notes.name, notes.data) == ("Drive document 1FieldNotesDocId000000000000000", None)
    assert leaves.turns[-1].text == (
        "- Drive document 1FieldNotesDocId000000000000000 (application/octet-stream), "
        "not included in the export"
    )


def test_ai_studio_unsent_text_and_a_cut_reply_are_said_not_imported():
    (leaves,) = read_conversations(AI_STUDIO)

    assert leaves.warnings == [
        "1 reply of Gemini's stopped before finishing (finish reason MAX_TOKENS)",
        'text typed in the prompt box but never sent was left out ("What about evergreens?")',
    ]
    assert all("evergreens" not in turn.text for turn in leaves.turns)


def test_ai_studio_reads_code_it_ran_and_says_what_it_cannot_show():
    prompt = studio_prompt()
    prompt["systemInstruction"] = {}
    prompt["chunkedPrompt"]["pendingInputs"] = [{"text": "", "role": "user"}]
    prompt["chunkedPrompt"]["chunks"] = [
        {"text": "Add 2 and 3 in Python.", "role": "user"},
        {
            "role": "model",
            "executableCode": {"language": "PYTHON", "code": "print(2 + 3)"},
            "codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "5\n"},
        },
        {"text": "It prints 5.", "role": "model", "functionCall": {"name": "add"}},
    ]

    (sums,) = parse_ai_studio([prompt])

    assert hidden(sums) == [
        ("code", "Code", "```python\nprint(2 + 3)\n```"),
        ("output", "Output", "```\n5\n```"),
    ]
    assert shown(sums) == [("user", "Add 2 and 3 in Python."), ("assistant", "It prints 5.")]
    assert sums.warnings == [
        '1 content block of a kind this importer does not show ("functionCall") left out'
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("chunkedPrompt"), None),
        (
            lambda p: p["chunkedPrompt"].pop("chunks"),
            "a Google AI Studio file needs a 'chunkedPrompt' holding a 'chunks' list",
        ),
        (
            lambda p: p["chunkedPrompt"]["chunks"][2].update(role="assistant"),
            "chunk 3 has role 'assistant'; expected 'user' or 'model'",
        ),
    ],
)
def test_broken_ai_studio_files_are_refused_with_a_clear_message(change, message):
    prompt = studio_prompt()
    change(prompt)
    data = json.dumps(prompt).encode()

    with pytest.raises(ImportFormatError) as refused:
        list(read_conversations(data, "Autumn leaves"))
    if message is None:  # no longer recognisable: refused as JSON of no known format
        assert "not a conversation format we know" in str(refused.value)
    else:
        assert message in str(refused.value)
        assert "Google AI Studio prompt" in str(refused.value)


def test_ai_studio_system_instructions_may_come_as_parts():
    prompt = copy.deepcopy(studio_prompt())
    prompt["systemInstruction"] = {"parts": [{"text": "Be brief."}, {"text": "Cite sources."}]}

    (leaves,) = parse_ai_studio([prompt])

    assert hidden(leaves)[0] == ("system", "System instructions", "Be brief.\n\nCite sources.")


# DeepSeek


def deepseek_export() -> list:
    return json.loads(DEEPSEEK.read_text(encoding="utf-8"))


def test_deepseek_export_is_told_from_chatgpts_by_its_keys():
    assert detect_format(DEEPSEEK.read_bytes()[:4096], "conversations.json") == "deepseek"
    chatgpt = (FIXTURES / "chatgpt_conversations.json").read_bytes()[:4096]
    assert detect_format(chatgpt, "conversations.json") == "chatgpt"


def test_deepseek_shows_the_newest_branch_with_thinking_hidden_and_sources_linked():
    mountain, french = parse_deepseek(deepseek_export())

    assert mountain.source_kind == "deepseek"
    assert mountain.source_id == "3f6a1c2e-8b4d-4e5f-9a0b-1c2d3e4f5a6b"
    assert mountain.title == "Tallest mountain in Africa"
    assert mountain.created_at == datetime(2025, 5, 10, 6, 0, 0, 125000, tzinfo=UTC)
    assert shown(mountain) == [
        ("user", "What is the tallest mountain in Africa?"),
        (
            "assistant",
            "Mount Kilimanjaro, at 5,895 m [1](https://peaks.example/kilimanjaro), in Tanzania "
            "[2](https://atlas.example/africa).\n\n**Sources**\n\n"
            "- [Kilimanjaro facts](https://peaks.example/kilimanjaro)\n"
            "- [Atlas of Africa](https://atlas.example/africa)",
        ),
        ("user", "How long does the climb take?"),
        ("assistant", "Usually five to nine days, depending on the route."),
    ]
    assert hidden(mountain) == [
        (
            "reasoning",
            "DeepSeek (thinking)",
            "The user wants the highest peak. Kilimanjaro, in Tanzania.",
        )
    ]
    first_reply = next(turn for turn in mountain.turns if turn.role == "assistant")
    assert first_reply.alternatives == ["Kilimanjaro."]
    assert [t.model for t in mountain.turns if t.role == "assistant"] == [
        "deepseek-reasoner",
        "deepseek-chat",
    ]
    assert mountain.turns[0].attachments[0].name == "africa-map.png"
    assert mountain.warnings == [
        '1 message fragment of a kind this importer does not show ("TIP") left out'
    ]
    assert french.title == "Translate 'good morning' into French."
    assert shown(french)[1] == ("assistant", "Bonjour.")


def test_deepseek_export_zip_reads_conversations_and_skips_the_account_file(tmp_path):
    path = tmp_path / "deepseek.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("conversations.json", DEEPSEEK.read_bytes())
        archive.writestr("user.json", '{"user_id": "u1", "mobile": {"mobile_number": "x"}}')
    notes: list[str] = []

    titles = [c.title for c in read_conversations(path, notes=notes)]

    assert titles == ["Tallest mountain in Africa", "Translate 'good morning' into French."]
    assert notes == ["deepseek.zip, entry user.json: skipped (account data, not a conversation)"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(mapping=[]), "expected an object with a message tree ('mapping')"),
        (
            lambda c: c["mapping"]["3"]["message"].pop("fragments"),
            "node '3' has a message without 'fragments'",
        ),
    ],
)
def test_broken_deepseek_conversations_are_refused_naming_the_format(change, message):
    export = deepseek_export()
    change(export[0])

    with pytest.raises(ImportFormatError, match=re.escape(message)) as refused:
        list(read_conversations(json.dumps(export).encode(), "conversations.json"))
    assert "DeepSeek conversation 1" in str(refused.value)


# Through the app's import


def test_a_grok_export_zip_and_an_ai_studio_file_import_as_drafts(app, owner, tmp_path):
    with app.app_context():
        user = db.session.get(User, owner)
        grok = import_file(grok_zip(tmp_path), "grok-export.zip", user)
        studio = import_file(AI_STUDIO, "Autumn leaves", user)
        posts = {p.title: p for p in db.session.query(Post).all()}

        starter = posts["Feeding a sourdough starter"]
        leaves = posts["Why do leaves change colour in autumn?"]
        assert {p.status for p in posts.values()} == {"draft"}
        assert len(grok.created) == 2 and len(studio.created) == 1
        assert [t.role for t in starter.turns if not t.excluded] == [
            "user",
            "assistant",
            "user",
            "assistant",
        ]
        assert [t.role for t in leaves.turns if not t.excluded] == [
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
        ]
        assert "reasoning" in " ".join(studio.hidden)
        assert any("never sent" in note for note in studio.notes)
        assert any("tool steps" in note for note in grok.notes)
        assert any("prod-mc-billing.json: skipped" in note for note in grok.skipped)
        # The upload the zip held and the image AI Studio kept inline are stored.
        assert db.session.query(Asset).count() == 2
