"""ShareGPT and OpenAI chat-messages JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blog.formats.base import ImportFormatError
from blog.formats.openai_messages import parse_openai_messages
from blog.formats.sharegpt import parse_sharegpt
from blog.markdown import render_markdown

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path("/work/shared/samples")


def sharegpt_fixture():
    return list(
        parse_sharegpt(json.loads((FIXTURES / "sharegpt_conversations.json").read_text("utf-8")))
    )


def openai_fixture():
    lines = (FIXTURES / "openai_messages.jsonl").read_text("utf-8").splitlines()
    return list(parse_openai_messages(json.loads(line) for line in lines))


def test_sharegpt_turns_roles_model_and_title():
    primes, tools = sharegpt_fixture()  # the item with no messages is skipped
    assert primes.source_kind == "sharegpt"
    assert primes.source_id == "qXk2bA_0"
    assert primes.title == "Name a prime number above 100."
    assert primes.model == "gpt-4"
    assert [(turn.role, turn.speaker) for turn in primes.turns] == [
        ("user", ""),
        ("assistant", "gpt-4"),
        ("user", ""),
        ("assistant", "gpt-4"),
    ]
    assert primes.turns[1].text == "101 is prime: it has no divisor $d$ with $1 < d < 101$."


def test_sharegpt_system_and_tool_rows_are_hidden_and_unknown_senders_kept_as_notes():
    _, tools = sharegpt_fixture()
    assert tools.model is None
    assert [(turn.role, turn.speaker, turn.hidden) for turn in tools.turns] == [
        ("system", "", True),
        ("user", "", False),
        ("tool", "Function call", True),
        ("tool", "Observation", True),
        ("assistant", "Assistant", False),
        ("note", "moderator", False),
    ]


def test_openai_parts_images_developer_role_and_model():
    picture, weather, vermeer = openai_fixture()  # the assistant-only record is skipped
    assert picture.source_kind == "openai"
    assert picture.model == "gpt-4o-mini"
    assert picture.title == "What is in this picture?"
    assert [(turn.role, turn.hidden) for turn in picture.turns] == [
        ("system", True),
        ("user", False),
        ("assistant", False),
    ]
    (image,) = picture.turns[1].attachments
    assert (image.name, image.mime_type, image.data) == (
        "image-1.png",
        "image/png",
        b"\x89PNG\r\n\x1a\n",
    )
    assert picture.turns[2].speaker == "gpt-4o-mini"
    assert picture.turns[2].model == "gpt-4o-mini"


def test_openai_tool_calls_become_hidden_tool_turns():
    _, weather, _ = openai_fixture()
    assert [(turn.role, turn.hidden) for turn in weather.turns] == [
        ("user", False),
        ("tool", True),
        ("tool", True),
        ("assistant", False),
    ]
    assert '"city": "Oslo"' in weather.turns[1].text
    assert weather.turns[3].text == "It is \\(-3\\) degrees in Oslo."
    assert render_markdown(weather.turns[3].text).count("<math") == 1
    assert weather.turns[3].speaker == "Assistant"


def test_a_bare_list_of_messages_is_one_conversation():
    _, _, vermeer = openai_fixture()
    assert [turn.role for turn in vermeer.turns] == ["user", "assistant"]
    assert vermeer.model is None


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"id": 1}], "ShareGPT item 1: expected an object with a 'conversations' list"),
        (
            [{"conversations": [{"value": "hi"}]}],
            "message 1: expected an object with 'from' and 'value'",
        ),
        ([{"conversations": [{"from": "human", "value": 3}]}], "'value' must be text, not int"),
    ],
)
def test_malformed_sharegpt_is_refused_with_a_clear_message(items, message):
    with pytest.raises(ImportFormatError, match=message):
        list(parse_sharegpt(items))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["text"], "messages item 1: expected a 'messages' list"),
        ([{"messages": [{"role": "wizard", "content": "hi"}]}], "unknown role 'wizard'"),
        (
            [{"messages": [{"role": "user", "content": 5}]}],
            "'content' must be text or a list of parts",
        ),
        (
            [{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}],
            "an image_url part has no url",
        ),
    ],
)
def test_malformed_openai_messages_are_refused_with_a_clear_message(items, message):
    with pytest.raises(ImportFormatError, match=message):
        list(parse_openai_messages(items))


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not available here")
@pytest.mark.parametrize(
    "name",
    [
        "fastchat-dummy_conversation.json",
        "llamafactory-glaive_toolcall_en_demo.json",
        "venkat2811-sharegpt_sample.json",
    ],
)
def test_real_sharegpt_files_import_every_item(name):
    items = json.loads((SAMPLES / "sharegpt" / name).read_text("utf-8"))
    conversations = list(parse_sharegpt(items))
    assert len(conversations) == len(items)
    for item, conversation in zip(items, conversations, strict=True):
        non_empty = [row for row in item["conversations"] if row["value"].strip()]
        assert len(conversation.turns) == len(non_empty)
        assert conversation.turns[0].role == "user"


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not available here")
def test_real_llamafactory_messages_attach_the_listed_images():
    items = json.loads(
        (SAMPLES / "openai-messages" / "llamafactory-mllm_demo.json").read_text("utf-8")
    )
    conversations = list(parse_openai_messages(items))
    assert len(conversations) == len(items)
    for item, conversation in zip(items, conversations, strict=True):
        assert len(conversation.turns) == len(item["messages"])
        attached = [a.name for turn in conversation.turns for a in turn.attachments]
        assert attached == item["images"]
        assert all("<image>" not in turn.text for turn in conversation.turns)


def test_responses_api_images_and_files_are_kept_and_unknown_parts_named():
    item = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Summarise these."},
                    {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                    {
                        "type": "input_file",
                        "filename": "report.pdf",
                        "file_data": "data:application/pdf;base64,JVBERi0x",
                    },
                    {"type": "file", "file": {"file_id": "file-123", "filename": "notes.txt"}},
                    {"type": "hologram", "data": "…"},
                ],
            },
            {"role": "assistant", "content": "Done."},
        ]
    }

    (conversation,) = parse_openai_messages([item])

    prompt = conversation.turns[0]
    assert prompt.text == "Summarise these."
    assert [(a.name, a.mime_type, a.data) for a in prompt.attachments] == [
        ("image-1.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("report.pdf", "application/pdf", b"%PDF-1"),
        ("notes.txt", "text/plain", None),
    ]
    assert conversation.warnings == [
        '1 content block of a kind this importer does not show ("hologram") left out'
    ]


def test_sharegpt_multimodal_items_keep_their_images_where_the_tokens_stand():
    llava = {
        "id": "000000033471",
        "image": "coco/train2017/000000033471.jpg",
        "conversations": [
            {"from": "human", "value": "<image>\nWhat are the colors of the bus in the image?"},
            {"from": "gpt", "value": "The bus in the image is white and red."},
        ],
    }
    factory = {
        "images": ["a.png", "b.png", "c.png"],
        "conversations": [
            {"from": "human", "value": "<image><image>Compare these two."},
            {"from": "gpt", "value": "The first is brighter."},
        ],
    }
    blocks = {
        "conversations": [
            {
                "from": "human",
                "value": [{"type": "image_url", "image_url": {"url": "https://example.org/x.png"}}],
            },
            {"from": "gpt", "value": [{"type": "text", "text": "A cat."}, {"type": "audio"}]},
        ]
    }

    first, second, third = parse_sharegpt([llava, factory, blocks])

    question = first.turns[0]
    assert question.text == "What are the colors of the bus in the image?"
    assert [(a.name, a.mime_type) for a in question.attachments] == [
        ("coco/train2017/000000033471.jpg", "image/jpeg")
    ]
    # Two tokens, three images: the one no token stands for is still kept with the prompt.
    assert second.turns[0].text == "Compare these two."
    assert [a.name for a in second.turns[0].attachments] == ["a.png", "b.png", "c.png"]
    assert [a.name for a in third.turns[0].attachments] == ["https://example.org/x.png"]
    assert third.turns[1].text == "A cat."
    assert third.warnings == [
        '1 content block of a kind this importer does not show ("audio") left out'
    ]


def test_files_an_export_names_but_does_not_hold_are_listed_when_saved(
    app, runner, owner, tmp_path
):
    from blog.extensions import db
    from blog.models import Turn

    path = tmp_path / "llava.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "1",
                    "image": "coco/train2017/000000033471.jpg",
                    "conversations": [
                        {"from": "human", "value": "<image>\nWhat colour is the bus?"},
                        {"from": "gpt", "value": "White and red."},
                    ],
                }
            ]
        )
    )

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(
            db.select(Turn.role, Turn.source, Turn.excluded).order_by(Turn.position)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("user", "What colour is the bus?", False),
        (
            "attachment",
            "- coco/train2017/000000033471.jpg (image/jpeg), not included in the export",
            True,
        ),
        ("assistant", "White and red.", False),
    ]


def test_reasoning_custom_tool_calls_and_untokened_images_are_kept():
    item = {
        "images": ["shots/login.png"],
        "messages": [
            {"role": "user", "content": "Why does the login page fail?"},
            {
                "role": "assistant",
                "reasoning_content": "The screenshot shows a CSRF error.",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "custom",
                        "custom": {"name": "apply_patch", "input": "*** Begin Patch"},
                    }
                ],
            },
            {"role": "assistant", "content": "The form lacked its CSRF token."},
            {"role": "user", "content": "Say it aloud."},
            {
                "role": "assistant",
                "content": None,
                "audio": {"id": "audio_1", "data": "UklGRg==", "transcript": "The token."},
            },
        ],
    }

    (conversation,) = parse_openai_messages([item])

    assert [(t.role, t.hidden) for t in conversation.turns] == [
        ("user", False),
        ("reasoning", True),
        ("tool", True),
        ("assistant", False),
        ("user", False),
        ("assistant", False),
    ]
    assert conversation.turns[-1].text == "The token."
    assert conversation.turns[1].text == "The screenshot shows a CSRF error."
    assert "apply_patch" in conversation.turns[2].text
    assert "*** Begin Patch" in conversation.turns[2].text
    assert [a.name for a in conversation.turns[0].attachments] == ["shots/login.png"]


def test_an_inline_file_declaring_a_made_up_type_is_kept_as_plain_bytes():
    item = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Look."},
                    {
                        "type": "input_image",
                        "image_url": "data:image/png\n- [x](javascript:1);base64,QUJD",
                    },
                    {"type": "input_image", "image_url": "data:image/png;base64,not base64!"},
                ],
            },
            {"role": "assistant", "content": "Seen."},
        ]
    }

    (conversation,) = parse_openai_messages([item])

    odd, broken = conversation.turns[0].attachments
    assert (odd.mime_type, odd.data) == ("application/octet-stream", b"ABC")
    # Bytes that are not base64 are not guessed at: the file is named, as not included.
    assert (broken.name, broken.data) == ("image-2.png", None)


def test_what_an_import_hid_is_counted_in_words_that_agree():
    from blog.formats.base import ImportedConversation, ImportedTurn
    from blog.posts.bulk import hidden_summary

    def hidden(role: str, n: int) -> list[ImportedTurn]:
        return [ImportedTurn(role, "x", hidden=True) for _ in range(n)]

    conversation = ImportedConversation(
        title="t",
        source_kind="sharegpt",
        turns=[*hidden("tool", 1), *hidden("code", 2), *hidden("attachment", 1)],
    )

    assert hidden_summary(conversation.turns) == "1 attachment, 2 code cells, 1 tool call hidden"


def value_blocks_fixture(skipped: list[str] | None = None):
    lines = (FIXTURES / "openai_value_blocks.jsonl").read_text("utf-8").splitlines()
    return list(parse_openai_messages((json.loads(line) for line in lines), skipped))


def test_reasoning_and_tool_call_blocks_are_kept_as_hidden_turns_not_left_out():
    first = value_blocks_fixture()[0]

    assert [(t.role, t.hidden) for t in first.turns] == [
        ("system", True),
        ("user", False),
        ("reasoning", True),
        ("assistant", False),
        ("tool", True),
        ("tool", True),
        ("assistant", False),
    ]
    reasoning, _, call, result = first.turns[2:6]
    assert reasoning.text == "Bergen is rainy; check the forecast before answering."
    assert call.text.startswith("`get_forecast`") and '"city": "Bergen"' in call.text
    assert result.text == '{"rain_mm": 14, "wind": "strong"}'
    assert first.warnings == []


def test_a_record_whose_reply_is_reasoning_and_a_tool_call_is_imported_whole():
    skipped: list[str] = []

    conversations = value_blocks_fixture(skipped)

    assert [c.source_id for c in conversations] == ["rec-001", "rec-002"]
    step = conversations[1]
    assert [(t.role, t.hidden) for t in step.turns] == [
        ("user", False),
        ("reasoning", True),
        ("tool", True),
    ]
    assert '"people": 2' in step.turns[2].text
    # A prompt with no reply at all is still no conversation, and says so.
    assert skipped == [
        "messages item 3: only one side of a conversation (no prompt, or no reply); not imported"
    ]


def test_sharegpt_values_of_blocks_keep_reasoning_and_tool_calls_as_hidden_turns():
    item = {
        "id": "sg-1",
        "conversations": [
            {"from": "human", "value": [{"type": "text", "value": "Is 91 prime?"}]},
            {
                "from": "gpt",
                "value": [
                    {"type": "reasoning", "value": "91 = 7 × 13."},
                    {"type": "text", "value": "No: 91 = 7 × 13."},
                    {"type": "tool_call", "value": {"name": "factor", "arguments": {"n": 91}}},
                ],
            },
        ],
    }

    (conversation,) = parse_sharegpt([item])

    assert [(t.role, t.hidden, t.text.splitlines()[0]) for t in conversation.turns] == [
        ("user", False, "Is 91 prime?"),
        ("reasoning", True, "91 = 7 × 13."),
        ("assistant", False, "No: 91 = 7 × 13."),
        ("tool", True, "`factor`"),
    ]
    assert conversation.warnings == []
