"""The service's fast path for imports: many conversations saved as drafts in one transaction,
their turns rendered on every core.

It follows the same rules as the editor (`rules.py`, `slugs.py`): review, clipping, slugs and
rendering are the editor's, only the statements differ (rows in large batches, COPY on
PostgreSQL). Each conversation is scanned as it is `prepare`d; once the file has turns enough
for a pool of processes (`render_pool.py`), each conversation's turns are rendered there while
the rest of the file is read (`render_ahead.py`). `write` inserts them all and commits, so the
drafts are listed at once; `render` then renders what is left (a small file's turns, turns
with files, whose links by then point at the stored assets), a group at a time. A turn's HTML
is taken from any turn already rendered from the same text (its render key) when there is one.
"""

from __future__ import annotations

import json
import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from flask import current_app
from sqlalchemy import and_, delete, insert, select, update

from .. import changes
from ..extensions import db
from ..formats.base import ImportedConversation, ImportedTurn, ImportFormatError, display_form
from ..models import (
    Asset,
    ImportBatch,
    Post,
    SlugRedirect,
    Turn,
    User,
    post_tags,
    utcnow,
)
from ..scan import Finding, scan_text
from ..settings import bump_generation
from ..vocabulary import HIDDEN_MATERIAL_NOUN_ONE, HIDDEN_MATERIAL_NOUNS, Status
from .assets import store_attachments
from .details import tags_named
from .findings import select_fingerprints
from .render_ahead import RenderAhead
from .render_pool import POOL_FROM_TURNS, RenderPool, processes_for
from .rerender import GROUP, RenderOutcome, Row, render_key, render_rows, turn_groups, turns
from .rows import BATCH, ROW_COLUMNS, TurnValues, turn_values
from .rules import UNTITLED, fit, needs_review, render_limits, turn_size_problem, unrendered
from .slugs import SlugBook, slugify

DUPLICATE_CHOICES = ("skip", "update")
SPOOL_IN_MEMORY = 8 * 1024 * 1024
# New drafts inserted with one statement.
POSTS_INSERTED_TOGETHER = 200


@dataclass(frozen=True)
class SavedPost:
    """A post an import created or updated."""

    id: int
    slug: str
    title: str


@dataclass
class ImportReport:
    """What one file's import did, for the CLI and the import page."""

    created: list[SavedPost] = field(default_factory=list)
    updated: list[SavedPost] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Turns a reader could see; the material kept hidden is told in `hidden`, not counted here
    # (the import page's list of conversations counts the same way).
    turns: int = 0
    # Privacy and secret findings per imported post title, a warning before any publishing.
    warnings: list[str] = field(default_factory=list)
    # What the reader repaired or left out, per post (an unclosed code fence closed at line
    # N, a block of a kind it cannot show): true of the file, not a privacy finding.
    notes: list[str] = field(default_factory=list)
    # Per conversation, the material kept but hidden: "Title: 3 reasoning, 2 code cells hidden".
    hidden: list[str] = field(default_factory=list)
    # The import batch recorded for this file (None until written).
    batch_id: int | None = None

    def merge(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        self.turns += other.turns
        self.warnings += other.warnings
        self.notes += other.notes
        self.hidden += other.hidden


class KnownPosts:
    """What is already in the database, read once: slugs in use and earlier imports."""

    def __init__(self) -> None:
        connection = db.session.connection()
        rows = connection.execute(
            select(Post.id, Post.slug, Post.source_kind, Post.source_id, Post.content_hash)
        ).all()
        slugs = {row.slug for row in rows}
        slugs.update(connection.execute(select(SlugRedirect.old_slug)).scalars())
        self.slugs = SlugBook(slugs)
        self.by_source = {(r.source_kind, r.source_id): (r.id, r.slug) for r in rows if r.source_id}
        self.by_hash = {r.content_hash: (r.id, r.slug) for r in rows if r.content_hash}
        # Only posts stored before may hold a hash of the older kind (`earlier_hashes`).
        self.any_stored = bool(self.by_hash)

    def earlier_hashes(self, conversation: ImportedConversation) -> list[str]:
        """The conversation's fingerprints of the kind posts imported before the hash was
        blind to whitespace keep, when any post might."""
        return conversation.earlier_content_hashes() if self.any_stored else []

    def match(
        self,
        conversation: ImportedConversation,
        digest: str,
        earlier: list[str] | None = None,
    ) -> tuple[int, str] | None:
        """The (id, slug) of a post imported earlier from this conversation, by source or hash
        (`earlier`: its `earlier_hashes`, when they were taken before its turns were let go)."""
        if conversation.source_id:
            found = self.by_source.get((conversation.source_kind, conversation.source_id))
            if found:
                return found
        found = self.by_hash.get(digest)
        if found is None:
            hashes = self.earlier_hashes(conversation) if earlier is None else earlier
            found = next((self.by_hash[h] for h in hashes if h in self.by_hash), None)
        return found

    def remember(
        self, conversation: ImportedConversation, digest: str, post: tuple[int, str]
    ) -> None:
        self.by_hash[digest] = post
        if conversation.source_id:
            self.by_source[(conversation.source_kind, conversation.source_id)] = post


class Queued:
    """The stand-in id of a new draft waiting to be inserted with others."""


@dataclass
class Prepared:
    """One conversation ready to insert: its rows built, its turns scanned. Its conversation
    is kept without its turns, which the rows hold, so it goes to the spool once."""

    conversation: ImportedConversation
    digest: str
    earlier: list[str]
    hidden: str
    title: str
    # Its rows while they are rendered; when it goes to the spool, `rows` holds them as the
    # database driver takes them (`TurnValues`) and these are let go.
    turns: list[dict]
    with_files: dict[int, ImportedTurn]
    findings: str
    # Fingerprints of every finding in the visible turns; None when past the scan budget.
    fingerprints: list[str] | None
    rows: list[tuple] = field(default_factory=list)
    visible: int = 0


class ImportSave:
    """An import's save: `prepare` each conversation (no writes), then `write` them all at once.
    Used as a context manager, which discards what was prepared."""

    def __init__(
        self, author: User | None, on_duplicate: str, scan_budget: int, filename: str = ""
    ) -> None:
        if on_duplicate not in DUPLICATE_CHOICES:
            raise ValueError(f"on_duplicate must be one of {DUPLICATE_CHOICES}")
        self.author_id = author.id if author is not None else None
        self.on_duplicate = on_duplicate
        self.scan_budget = scan_budget
        self.filename = filename
        self.report = ImportReport()
        self.asset_bytes = 0
        self.turns_read = 0  # hidden ones too, for the scan budget
        # Each turn's rendering is bounded, but a file of many hostile turns is not: past this
        # much rendering time (wall time, all processes at once) the rest are kept as escaped
        # text, before the job's time limit.
        self.render_budget = float(current_app.config["IMPORT_RENDER_BUDGET_SECONDS"])
        self.render_processes = int(current_app.config["IMPORT_RENDER_PROCESSES"])
        self.limits = render_limits()
        self.to_render = 0  # turns written with their escaped source, for `render`
        # Prepared conversations wait on disk past a few MB, so a large export's text is
        # never all in memory at once. Only this process writes and reads it back.
        self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by __exit__
        self.known = KnownPosts()
        self.row_values = turn_values(db.session.connection().dialect)
        # Past POOL_FROM_TURNS turns read, a pool renders the rest while the file is read.
        self.pool: RenderPool | None = None
        self.ahead: RenderAhead | None = None
        self.budget_ends: float | None = None

    def __enter__(self) -> ImportSave:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.pool is not None:
                self.pool.__exit__(*exc_info)
        finally:
            self.spool.close()

    def render_budget_ends(self) -> float:
        """When the import's rendering time runs out (time.monotonic()), from its first render."""
        if self.budget_ends is None:
            # Wall time: the job's time limit, which this budget keeps the import under, is too.
            self.budget_ends = time.monotonic() + self.render_budget
        return self.budget_ends

    def start_rendering_ahead(self) -> None:
        """Once the file has turns enough for a pool, render each conversation as it comes."""
        if self.ahead is not None or self.turns_read < POOL_FROM_TURNS:
            return
        processes = processes_for(self.render_processes)
        if processes < 2:
            return  # one process: rendering ahead would only delay the drafts
        self.pool = RenderPool(processes).__enter__()
        self.ahead = RenderAhead(
            self.pool,
            db.session.connection(),
            self.limits,
            self.render_budget_ends(),
            self.spill,
        )

    def spill(self, item: Prepared, found: list[Finding] | None) -> None:
        """To the spool, with the findings in its visible turns (None: past the scan budget)."""
        if found is not None:
            item.findings = summarise_findings(found)
            item.fingerprints = [finding.fingerprint for finding in found]
        # Converted now, while the pool renders what comes next, not when the drafts are
        # written and this process alone works.
        item.visible = visible_count(item.turns)
        item.rows = [self.row_values.of(row) for row in item.turns]
        item.turns = []
        pickle.dump(item, self.spool, protocol=pickle.HIGHEST_PROTOCOL)

    def prepare(self, conversation: ImportedConversation) -> None:
        """Scan one conversation and build its rows, or note why it is skipped."""
        if not conversation.turns:
            self.report.skipped.append(f"{conversation.title} (no visible turns)")
            return
        digest = conversation.content_hash()
        earlier = self.known.earlier_hashes(conversation)
        existing = self.known.match(conversation, digest, earlier)
        if existing is not None and self.on_duplicate == "skip":
            self.report.skipped.append(f"{conversation.title} (already imported as {existing[1]})")
            return
        title = fit(Post.title, conversation.title or UNTITLED)
        too_long = oversized_turn(conversation)
        if too_long:
            self.report.skipped.append(f"{title} (not imported: {too_long})")
            return
        if len(conversation.title) > len(title):
            conversation.warnings.append(
                f"the title is {len(conversation.title):,} characters long; "
                f"only its first {len(title):,} are kept"
            )
        self.check_asset_sizes(conversation)
        self.turns_read += len(conversation.turns)
        self.start_rendering_ahead()
        with_files = {i: t for i, t in enumerate(conversation.turns) if t.attachments}
        # A turn with files is rendered once they are stored and its links point at them; an
        # update keeps its old turns' renderings when written (`keep_renderings`), and only
        # its new texts are rendered after. The rest, with a pool, are rendered ahead.
        ahead = self.ahead is not None and existing is None
        rows = [
            turn_row(position, turn, conversation.source_kind, ahead and position not in with_files)
            for position, turn in enumerate(conversation.turns)
        ]
        self.report.turns += visible_count(rows)
        scan = self.turns_read <= self.scan_budget
        texts = [row["source"] for row in rows if not row["excluded"]] if scan else None
        item = Prepared(
            conversation=replace(conversation, turns=[]),
            digest=digest,
            earlier=earlier,
            hidden=hidden_summary(conversation.turns),
            title=title,
            turns=rows,
            with_files=with_files,
            findings="",
            fingerprints=None,
        )
        if self.ahead is None:
            self.spill(item, None if texts is None else [f for t in texts for f in scan_text(t)])
        else:
            rendered_now = [row for row in rows if "html" not in row]
            self.ahead.add(item, rendered_now, texts, turns=len(rows))

    def render(self, progress: Callable[[int, int], None] | None = None) -> RenderOutcome:
        """Render the written drafts' turns on every core, each group committed as it is done,
        calling `progress(done, total)`; past the budget the rest stay escaped, with a note."""
        ids = sorted(self.written)
        pool = self.pool or RenderPool(processes_for(self.render_processes, self.to_render))
        # Its own connection: each group commits, and the session may be used meanwhile.
        with db.engine.connect() as connection, pool:
            outcome = render_rows(
                connection,
                pending_groups(connection, ids),
                limits=self.limits,
                pool=pool,
                total=self.to_render,
                budget_ends=self.render_budget_ends(),
                progress=progress,
                commit=connection.commit,
            )
        self.pool = None
        self.note_unrendered(outcome)
        return outcome

    def note_unrendered(self, outcome: RenderOutcome) -> None:
        """Say in the report, per post, how many of its turns were kept unrendered."""
        saved = {post.id: post for post in self.report.created + self.report.updated}
        for post_id, count in sorted((outcome.unrendered_by_post or {}).items()):
            post = saved[post_id]
            self.report.notes.append(
                f"{post.title} ({post.slug}): {count} turn{'s' if count > 1 else ''} kept as "
                f"plain text, not rendered: the import had used its {self.render_budget:g} s "
                "for rendering (IMPORT_RENDER_BUDGET_SECONDS); saving a turn in the editor, "
                "or `flask --app app rerender`, renders it"
            )

    def check_asset_sizes(self, conversation: ImportedConversation) -> None:
        """Refuse the file when one attachment, or all of them together, is too large."""
        config = current_app.config
        per_file, per_import = config["ASSET_MAX_BYTES"], config["IMPORT_ASSETS_MAX_BYTES"]
        for turn in conversation.turns:
            for attachment in turn.attachments:
                size = len(attachment.data or b"")
                if size > per_file:
                    raise ImportFormatError(
                        f"the attachment {attachment.name!r} is {size:,} bytes, more than "
                        f"the limit of {per_file:,} per file",
                        conversation.title or "a conversation",
                    )
                self.asset_bytes += size
        if self.asset_bytes > per_import:
            raise ImportFormatError(
                f"its attachments come to more than the limit of {per_import:,} bytes per import",
                conversation.title or "a conversation",
            )

    def write(self) -> ImportReport:
        """Insert everything prepared in one transaction and commit it: all or nothing."""
        try:
            self.known = KnownPosts()  # again: another import may have finished meanwhile
            self.batch = ImportBatch(
                filename=fit(ImportBatch.filename, self.filename),
                author_id=self.author_id,
                created_at=utcnow(),
            )
            db.session.add(self.batch)
            db.session.flush()
            self.written: set[int] = set()
            # Turn rows, (post id, rows), written `rows.BATCH` at a time.
            self.unwritten: list[tuple[int, list[tuple]]] = []
            self.unwritten_turns = 0
            self.queued: list[tuple[Queued, dict, Prepared]] = []  # new drafts, inserted together
            if self.ahead is not None:
                self.ahead.finish()
            for item in self.spooled():
                self.write_post(item)
            self.insert_queued()
            self.write_turns()
            self.record_batch()
            if self.report.updated:
                bump_generation()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return self.report

    def skip(self, item: Prepared, reason: str) -> None:
        self.report.skipped.append(reason)
        self.report.turns -= item.visible

    def write_turns(self) -> None:
        """The turn rows waiting, inserted."""
        self.row_values.write(db.session.connection(), self.unwritten)
        self.unwritten, self.unwritten_turns = [], 0

    def record_batch(self) -> None:
        report = self.report
        batch = self.batch
        batch.created_count = len(report.created)
        batch.updated_count = len(report.updated)
        batch.skipped_count = len(report.skipped)
        batch.turn_count = report.turns
        batch.updated_ids_json = json.dumps([post.id for post in report.updated])
        report.batch_id = batch.id

    def spooled(self) -> Iterator[Prepared]:
        self.spool.seek(0)
        while True:
            try:
                yield pickle.load(self.spool)  # noqa: S301 - written by `prepare` just before
            except EOFError:
                return

    def replace_post(self, post_id: int, slug: str, values: dict, item: Prepared) -> None:
        """A duplicate being updated: its turns and assets replaced, its version bumped; a new
        turn of the same text as an old one keeps its rendering."""
        connection = db.session.connection()
        values["findings"] = open_findings(post_id, item.fingerprints)
        item.rows = keep_renderings(connection, post_id, item.rows, self.row_values, self.limits)
        connection.execute(delete(Turn).where(Turn.post_id == post_id))
        connection.execute(delete(Asset).where(Asset.post_id == post_id))
        connection.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(version=Post.version + 1, details_version=Post.details_version + 1, **values)
        )
        self.report.updated.append(SavedPost(post_id, slug, item.title))
        changes.post_changed(post_id)

    def queue_new(self, values: dict, item: Prepared) -> None:
        """A new draft in this import's batch, under the next free slug, inserted with the
        ones queued with it (`insert_queued`); until then it is known by a stand-in id, so a
        repeat later in the file is recognised."""
        slug = self.known.slugs.claim(slugify(item.title))
        waiting = Queued()
        self.known.remember(item.conversation, item.digest, (waiting, slug))
        self.written.add(waiting)
        row = {
            "slug": slug,
            "author_id": self.author_id,
            "license": "",
            "created_at": utcnow(),
            "import_batch_id": self.batch.id,
            "findings": None if item.fingerprints is None else len(item.fingerprints),
        }
        self.queued.append((waiting, row | values, item))
        if len(self.queued) >= POSTS_INSERTED_TOGETHER:
            self.insert_queued()

    def insert_queued(self) -> None:
        """The queued drafts inserted with one statement, in the file's order, then saved."""
        if not self.queued:
            return
        queued, self.queued = self.queued, []
        ids = (
            db.session.connection()
            .execute(
                insert(Post).returning(Post.id, sort_by_parameter_order=True),
                [row for _, row, _ in queued],
            )
            .scalars()
            .all()
        )
        for (waiting, row, item), post_id in zip(queued, ids, strict=True):
            self.written.discard(waiting)
            self.report.created.append(SavedPost(post_id, row["slug"], item.title))
            self.saved(item, post_id, row["slug"])

    def write_post(self, item: Prepared) -> None:
        """One prepared conversation saved (new, or over its duplicate) with its turns and notes."""
        conversation = item.conversation
        existing = self.known.match(conversation, item.digest, item.earlier)
        if existing is not None and existing[0] in self.written:
            # A repeat within the file: saved once, whether duplicates are skipped or updated.
            self.skip(item, f"{conversation.title} (again in this file; saved as {existing[1]})")
            return
        if existing is not None and self.on_duplicate == "skip":
            # A post saved meanwhile by another import.
            self.skip(item, f"{conversation.title} (already imported as {existing[1]})")
            return
        values = post_values(conversation, item)
        if existing is None:
            self.queue_new(values, item)
            return
        self.insert_queued()  # first, so posts keep the file's order
        post_id, slug = existing
        self.replace_post(post_id, slug, values, item)
        self.saved(item, post_id, slug)

    def saved(self, item: Prepared, post_id: int, slug: str) -> None:
        """A post written: remembered, its tags, files and turns, what the report says of it."""
        conversation = item.conversation
        self.known.remember(conversation, item.digest, (post_id, slug))
        self.written.add(post_id)
        if conversation.tags:
            tag_post(post_id, conversation.tags)
        for index, turn in item.with_files.items():
            source = store_attachments(post_id, turn)
            item.rows[index] = self.row_values.replaced(
                item.rows[index], source=source, original_source=source, **unrendered(source)
            )
        key_at = self.row_values.render_key_at
        self.to_render += sum(1 for row in item.rows if row[key_at] is None)
        self.unwritten.append((post_id, item.rows))
        self.unwritten_turns += len(item.rows)
        if self.unwritten_turns >= BATCH:
            self.write_turns()
        if item.findings:
            self.report.warnings.append(f"{item.title} ({slug}): {item.findings}")
        self.report.notes.extend(f"{item.title} ({slug}): {w}" for w in conversation.warnings)
        if item.hidden:
            self.report.hidden.append(f"{item.title} ({slug}): {item.hidden}")


def post_values(conversation: ImportedConversation, item: Prepared) -> dict:
    return {
        "title": item.title,
        "summary": conversation.summary or "",
        "source_kind": conversation.source_kind,
        "source_id": conversation.source_id,
        "content_hash": item.digest,
        "model_name": fit(Post.model_name, conversation.model),
        "agent": fit(Post.agent, conversation.agent),
        "agent_version": fit(Post.agent_version, conversation.agent_version),
        "conversation_at": conversation.created_at,
        "updated_at": utcnow(),
        # New text needs a new review before anyone reads it.
        "status": Status.DRAFT,
    }


def tag_post(post_id: int, names: list[str]) -> None:
    connection = db.session.connection()
    connection.execute(delete(post_tags).where(post_tags.c.post_id == post_id))
    tags = tags_named(names)
    db.session.flush()
    connection.execute(insert(post_tags), [{"post_id": post_id, "tag_id": tag.id} for tag in tags])


def oversized_turn(conversation: ImportedConversation) -> str:
    """Which turn (or other version of one) is past the turn size limit ("" when none is)."""
    for number, turn in enumerate(conversation.turns, 1):
        for version, text in enumerate([turn.text, *turn.alternatives]):
            problem = turn_size_problem(text)
            if problem:
                which = f"turn {number} ({turn.role})"
                which += f", its other version {version}," if version else ""
                return f"{which} is {problem}"
    return ""


def turn_row(
    position: int, turn: ImportedTurn, source_kind: str, rendered_ahead: bool = False
) -> dict:
    """A turn's row, its HTML the escaped source until `ImportSave.render` renders it; or, one
    `rendered_ahead`, without its stored forms, which the pool's rendering gives it."""
    text_format = turn.text_format or display_form(source_kind, turn.role)
    return {
        "position": position,
        "role": turn.role,
        "speaker": fit(Turn.speaker, turn.speaker),
        "model": fit(Turn.model, turn.model),
        "source": turn.text,
        "text_format": text_format,
        **({} if rendered_ahead else unrendered(turn.text)),
        "original_source": turn.text,
        "alternatives_json": (
            json.dumps(turn.alternatives, ensure_ascii=False) if turn.alternatives else "[]"
        ),
        "reviewed": not needs_review(turn.role),
        "excluded": turn.hidden,
        "created_at": turn.created_at,
        "version": 1,
    }


def keep_renderings(
    connection, post_id: int, rows: list[tuple], row_values: TurnValues, limits
) -> list[tuple]:
    """The new rows, each given the stored forms of the post's old turn of the same text, if
    any (the rows as `row_values` converts them)."""
    old = {
        (key, source): (html, text, words)
        for key, source, html, text, words in connection.execute(
            select(Turn.render_key, Turn.source, Turn.html, Turn.text, Turn.words).where(
                Turn.post_id == post_id, Turn.render_key.is_not(None)
            )
        )
    }
    if not old:
        return rows
    source_at, format_at = ROW_COLUMNS.index("source"), ROW_COLUMNS.index("text_format")
    kept = []
    for row in rows:
        key = render_key(row[source_at], row[format_at], limits)
        found = old.get((key, row[source_at]))
        if found:
            row = row_values.replaced(
                row, html=found[0], text=found[1], words=found[2], render_key=key
            )
        kept.append(row)
    return kept


def pending_groups(connection, post_ids: list[int]) -> Iterator[list[Row]]:
    """The turns of these posts still waiting to be rendered, a group at a time."""
    for start in range(0, len(post_ids), 100):
        chosen = post_ids[start : start + 100]
        yield from turn_groups(
            connection, and_(turns.c.post_id.in_(chosen), turns.c.render_key.is_(None)), GROUP
        )


def visible_count(rows: list[dict]) -> int:
    return sum(1 for row in rows if not row["excluded"])


def summarise_findings(found: list[Finding]) -> str:
    """The findings counted by kind, so the author hears early."""
    kinds = Counter(finding.label for finding in found)
    return ", ".join(f"{count} {label}" for label, count in sorted(kinds.items()))


def open_findings(post_id: int, fingerprints: list[str] | None) -> int | None:
    """An updated post's open findings: its new text's, less those the author kept before."""
    if fingerprints is None:
        return None
    dismissed = set(db.session.connection().execute(select_fingerprints(post_id)).scalars())
    return sum(1 for fingerprint in fingerprints if fingerprint not in dismissed)


def hidden_noun(role: str, count: int) -> str:
    if count == 1:
        return HIDDEN_MATERIAL_NOUN_ONE.get(role) or HIDDEN_MATERIAL_NOUNS.get(role, f"{role} turn")
    return HIDDEN_MATERIAL_NOUNS.get(role, f"{role} turns")


def hidden_summary(turns: list[ImportedTurn]) -> str:
    """What an import kept but hid, by kind: "3 reasoning, 2 code cells hidden"."""
    counts = Counter(turn.role for turn in turns if turn.hidden)
    parts = [f"{counts[role]} {hidden_noun(role, counts[role])}" for role in sorted(counts)]
    return f"{', '.join(parts)} hidden" if parts else ""
