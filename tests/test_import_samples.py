"""Every real export in the shared samples, read through detection like an upload: all of it.

Counts are (role, hidden) -> turns over the whole file, checked by reading each file: the
ShareGPT ones against its `from` fields, the ChatGPT ones against the visible path of its
message tree (see test_import_chatgpt), the others by reading their messages.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from blog.formats.base import NotAConversationFile
from blog.formats.detect import read_conversations

SAMPLES = Path("/work/shared/samples")
U, A = ("user", False), ("assistant", False)

EXPECTED = {
    "chatgpt/chatgpt2graph-conversations.json": (
        1,
        {U: 8, A: 12, ("code", True): 11, ("output", True): 4},
    ),
    "chatgpt/extratone-6484a886.pionxzh-export.json": (1, {U: 2, A: 2}),
    "chatgpt/sanand0-csv-data-analysis-insights.json": (1, {U: 1, ("reasoning", True): 1, A: 1}),
    "chatgpt/sanand0-india-map-with-khargone.json": (1, {U: 7, ("tool", True): 14, A: 7}),
    "chatgpt/sanand0-karunanidhi-political-family-overview.json": (
        1,
        {U: 1, ("tool", True): 1, A: 1},
    ),
    "chatgpt/sanand0-seoul-weather-early-october.json": (1, {U: 1, ("tool", True): 6, A: 1}),
    # 20 messages; each of the 10 replies has one inline <antThinking> block; one prompt
    # names 5 screenshots the export does not include (listed in one attachment turn).
    "claude/simonw-artifacts.json": (
        1,
        {U: 10, ("reasoning", True): 10, A: 10, ("attachment", True): 1},
    ),
    "claude/simonw-example.json": (1, {U: 1, ("attachment", True): 1, A: 1}),
    "claude/yaleman-conversations.json": (1, {U: 1, ("reasoning", True): 1, A: 1}),
    "markdown/animmouse-act-as-dinky-little-from-the-littles.md": (1, {U: 14, A: 14}),
    "markdown/animmouse-landing-on-saturn-impossible.md": (1, {U: 3, A: 3}),
    "markdown/animmouse-pi-vs-tau.md": (1, {U: 1, A: 1}),
    "markdown/animmouse-quiet-new-item-in-powershell.md": (1, {U: 5, A: 5}),
    "markdown/extratone-6484a886.pionxzh-export.md": (1, {U: 2, A: 2}),
    # Its prompts name 8 image files (`images` beside `<image>` tokens) that are not in the
    # JSON: each prompt's are listed in a folded turn after it.
    "openai-messages/llamafactory-mllm_demo.json": (6, {U: 12, A: 12, ("attachment", True): 8}),
    # Four prompts; the last reply was still being generated when the page was copied.
    "pasted-text/testcampaign-README-670a48b.md": (1, {U: 4, A: 3}),
    "sharegpt/fastchat-dummy_conversation.json": (500, {U: 1000, A: 1000}),
    # 211 function_call and 211 observation messages.
    "sharegpt/llamafactory-glaive_toolcall_en_demo.json": (
        300,
        {U: 746, A: 746, ("tool", True): 422},
    ),
    "sharegpt/venkat2811-sharegpt_sample.json": (50, {U: 50, A: 50}),
}
ACCOUNT_FILES = [
    "claude/yaleman-users.json",
    "claude/yaleman-projects.json",
    "claude/yaleman-memories.json",
]

pytestmark = pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples are not available")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_imports_whole(name):
    conversations = list(read_conversations(SAMPLES / name))

    count, kinds = EXPECTED[name]
    assert len(conversations) == count
    found = Counter((str(t.role), t.hidden) for c in conversations for t in c.turns)
    assert found == Counter(kinds)
    assert all(t.text.strip() or t.attachments for c in conversations for t in c.turns)


@pytest.mark.parametrize("name", ACCOUNT_FILES)
def test_account_files_of_the_claude_export_are_recognised(name):
    with pytest.raises(NotAConversationFile, match="account data, not a conversation"):
        list(read_conversations(SAMPLES / name))


def test_every_sample_file_is_covered():
    files = {
        str(path.relative_to(SAMPLES))
        for path in SAMPLES.rglob("*")
        if path.is_file() and path.name != "SOURCES.md"
    }
    assert files == set(EXPECTED) | set(ACCOUNT_FILES)
