"""The rules the architecture rests on: one writer, HTML rendered at save, readers never write."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import event, select, update

from blog import posts
from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Post, Turn, User

ROOT = Path(__file__).resolve().parents[1]
BLOG = ROOT / "blog"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def chatgpt_export(count: int = 1) -> bytes:
    """A small conversations.json: `count` conversations of a question and an answer."""

    def node(key, parent, children, role, text, content_type="text", **extra):
        content = {"content_type": content_type}
        content |= {"parts": [text]} if content_type == "text" else {"text": text}
        message = {
            "id": key,
            "author": {"role": role},
            "content": content,
            "create_time": 1717000000,
            "metadata": {"model_slug": "gpt-4o"},
            "recipient": "all",
        } | extra
        return {"id": key, "parent": parent, "children": children, "message": message}

    def conversation(n: int) -> dict:
        again = " Again." * n
        mapping = {
            "root": {"id": "root", "parent": None, "children": ["u1"], "message": None},
            "u1": node("u1", "root", ["a1"], "user", "What is a *monad*?" + again),
            "a1": node("a1", "u1", [], "assistant", "A monad is a **pattern** for chaining."),
        }
        return {
            "id": f"conv-arch-{n}",
            "title": "Monads, briefly",
            "create_time": 1717000000,
            "update_time": 1717000100,
            "current_node": "a1",
            "mapping": mapping,
        }

    return json.dumps([conversation(n) for n in range(count)]).encode()


@contextmanager
def statements(app):
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_an_import_stores_rendered_html(app, owner):
    with app.app_context():
        report = import_file(chatgpt_export(), "conversations.json", db.session.get(User, owner))
        post = db.session.get(Post, report.created[0].id)
        # ChatGPT shows the person's message as typed and the reply as Markdown.
        assert [t.html for t in post.turns] == [
            '<div class="typed">What is a *monad*?</div>',
            "<p>A monad is a <strong>pattern</strong> for chaining.</p>",
        ]


def test_an_import_writes_only_after_every_conversation_is_read_and_scanned(app, owner):
    progress_at: list[int] = []
    with statements(app) as seen, app.app_context():
        report = import_file(
            chatgpt_export(2),
            "conversations.json",
            db.session.get(User, owner),
            progress=lambda _conversation: progress_at.append(len(seen)),
        )
    assert len(report.created) == 2 and len(progress_at) == 2
    first_write = next(i for i, statement in enumerate(seen) if WRITES.match(statement))
    assert first_write >= progress_at[-1]


def test_reading_pages_feeds_and_the_editor_writes_nothing(app, author, owner):
    with app.app_context():
        report = import_file(chatgpt_export(), "conversations.json", db.session.get(User, owner))
        post_id = report.created[0].id
        post = db.session.get(Post, post_id)
        posts.update_post(post, {"tags": "fp"}, None)
        posts.publish(post, confirmed=True, mark_reviewed=True)
        slug, revision_id = post.slug, post.published_revision_id
        posts.save_turn(post.turns[1], "A monad, staged.", None)
    paths = [
        f"/posts/{slug}",
        "/",
        "/feed.xml",
        "/atom.xml",
        "/tags/fp/feed.xml",
        "/sitemap.xml",
        f"/studio/posts/{post_id}",
        "/studio/",
        "/search?q=monad",
        f"/studio/posts/{post_id}/preview",
        f"/studio/posts/{post_id}/revisions",
        f"/studio/posts/{post_id}/revisions/compare?a={revision_id}&b=working",
    ]
    with statements(app) as seen:
        for path in paths:
            response = author.get(path)
            assert response.status_code == 200, path
            assert b"monad" in response.data or path.endswith(("sitemap.xml", "revisions")), path
    assert seen, "the statement log saw nothing"
    assert [s for s in seen if WRITES.match(s)] == []


def test_the_upgrade_renders_turns_left_without_html(app, make_post):
    post_id = make_post(turns=[("user", "An *old* import"), ("assistant", "Never rendered")])
    with app.app_context():
        downgrade(revision="0002")
        db.session.execute(update(Turn).where(Turn.post_id == post_id).values(html=None))
        db.session.commit()
        upgrade()
        html = db.session.scalars(select(Turn.html).where(Turn.post_id == post_id)).all()
    assert html == ["<p>An <em>old</em> import</p>", "<p>Never rendered</p>"]


def test_only_the_posts_service_writes_content():
    content_tables = r"(Post|Turn|Asset|Tag|post_tags|Revision|revision_tags|search_entries)\b"
    pattern = re.compile(rf"\b(insert|update|delete)\(\s*{content_tables}")
    offenders = [
        str(path.relative_to(ROOT))
        for path in BLOG.rglob("*.py")
        if "posts" not in path.relative_to(BLOG).parts[:1]
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_renderer_is_called_from_the_posts_package_only():
    # Formats in blog/formats/ have a sibling called markdown.py of their own.
    uses_renderer = re.compile(r"^from \.{1,2}(render|markdown) import", re.MULTILINE)
    callers = sorted(
        str(path.relative_to(ROOT))
        for path in BLOG.rglob("*.py")
        if path.parent.name != "formats" and uses_renderer.search(path.read_text("utf-8"))
    )
    # titles.py reads only the title helpers (auto_title, title_problem), never the renderer.
    assert callers == ["blog/posts/rerender.py", "blog/posts/titles.py"]
    titles = (BLOG / "posts" / "titles.py").read_text("utf-8")
    assert "render" not in re.search(r"^from \.\.markdown import .*$", titles, re.M)[0]


def test_modules_named_in_the_architecture_document_exist():
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(blog/[A-Za-z0-9_./]+)`", document))
    assert len(named) >= 10
    missing = sorted(name for name in named if not (ROOT / name.rstrip("/")).exists())
    assert missing == []


def test_the_format_modules_import_one_way():
    """No cycle among blog/formats modules, counting imports made only for type checking."""
    import ast

    formats = Path(__file__).resolve().parents[1] / "blog" / "formats"
    modules = {
        ".".join(path.relative_to(formats).with_suffix("").parts): path
        for path in formats.rglob("*.py")
        if path.name != "__init__.py"
    }
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("blog.formats."):
                imported.add(node.module.removeprefix("blog.formats."))
        edges[name] = imported & set(modules) - {name}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in edges.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    assert len(modules) > 40
    cycles = sorted(name for name in edges if reaches(name, name, {name}))
    assert cycles == []


def test_each_source_family_is_a_subpackage_of_formats():
    formats = Path(__file__).resolve().parents[1] / "blog" / "formats"
    for family in ("chatgpt", "claude", "codex", "google", "perplexity", "text"):
        assert (formats / family / "__init__.py").is_file(), family
    flat = {path.stem for path in formats.glob("*.py")}
    assert not {name for name in flat if name.startswith(("chatgpt_", "claude_", "gemini_"))}
