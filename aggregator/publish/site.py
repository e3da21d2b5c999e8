"""Build the whole site.

``build_site`` reads what the pages show (``inputs``), plans every file
(``plan``), renders the pages (``pages``) with each blog's face (``faces``),
writes the files that changed (``files``) and removes the ones it no longer
writes (``prune``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from jinja2 import Environment

from aggregator.posts import load_posts
from aggregator.posts.kept import KEPT_FILE, kept_bytes, read_kept
from aggregator.publish.archive import ArchiveMonth, digest
from aggregator.publish.assets import copy_assets, plan_assets, warn_missing_references
from aggregator.publish.blog_pages import BlogPageOutput
from aggregator.publish.chrome import BuildOutcome, PageChrome
from aggregator.publish.clock import zone
from aggregator.publish.faces import build_faces
from aggregator.publish.files import StagedSite, carries_inputs, make_output_folder
from aggregator.publish.fingerprint import (
    BuildRecord,
    code_digest,
    published_sizes,
    valid_until,
    write_record,
)
from aggregator.publish.frame import plan_frame
from aggregator.publish.inputs import read_inputs, with_blog_entries
from aggregator.publish.own_pages import with_own_pages
from aggregator.publish.pages import (
    make_environment,
    read_stylesheet,
    templates_digest,
)
from aggregator.publish.plan import (
    FeedSpec,
    SitePlan,
    plan_site,
)
from aggregator.publish.prune import prune_output
from aggregator.publish.render import Renderer, RenderShared
from aggregator.publish.second_process import RenderPool
from aggregator.publish.suggestions import with_suggestions
from aggregator.publish.views import health_changes_at
from aggregator.publish.widget import build_widget
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.store.search import PostDocument


def build_site(
    settings: Settings, store: Store, now: datetime, fingerprint: str | None = None
) -> BuildOutcome:
    """Write the whole site into ``settings.output.dir``; unchanged files are not touched.

    Only what the pages show is read from the store (see ``inputs``). A monthly
    archive or a blog's page that already carries the digest of its inputs is
    neither read nor rendered again. With the ``fingerprint`` of the inputs
    (taken before reading them), the build is recorded so that the next one
    with nothing new does nothing (``fingerprint``).
    """
    with _cyclic_gc_paused(), RenderPool(store) as pool:
        return _build_site(settings, store, now, fingerprint, pool)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector held off for the build: a build makes hundreds of
    thousands of objects (entries, rows, pages) that live until it ends, and the
    collector walked them again and again, a fifth of the build's time. What is
    garbage is still freed as it goes, by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build_site(
    settings: Settings, store: Store, now: datetime, fingerprint: str | None, pool: RenderPool
) -> BuildOutcome:
    out = settings.output
    # A post that cannot be read now is published as the last build published it.
    loaded = load_posts(
        settings.own.posts_dir,
        settings.site.url,
        permalink=settings.own.permalink,
        summary_length=settings.content.summary_length,
        last_good=read_kept(out.dir),
        math=settings.own.math,
    )
    # The blogs' pages' entries, the largest read, come last: the archive months are
    # planned without them and rendered in a second process meanwhile (``second_process``).
    inputs = read_inputs(store, settings, now, loaded.posts, blogs=False)
    env = make_environment(out.templates_dir, reload=False)
    icons = store.list_icons() if settings.fetch.icons else []
    faces = build_faces(inputs.shown.everyone, icons, settings.site.title, settings.site.url)
    # A global, so that every template and macro can draw any blog's face (_face.html).
    env.globals["faces"] = faces
    # A page kept from an earlier build is rendered again when a template or the code changed.
    rendering = digest(templates_digest(env), code_digest())
    frame = plan_frame(inputs, settings, now, rendering)
    shared = RenderShared.of(frame, settings, faces)
    make_output_folder(out.dir)
    stale_months = [m for m in frame.months if not carries_inputs(out.dir / m.path, m.inputs)]
    pool.begin(shared, stale_months)
    inputs = with_blog_entries(inputs, store, settings)
    plan = plan_site(inputs, settings, now, frame, faces)
    plan = with_suggestions(plan, settings, store, now)
    plan = with_own_pages(plan, loaded.posts, settings)
    stale = {m.path for m in stale_months}
    kept = {o.path for o in frame.months if o.path not in stale} | {
        o.path
        for o in plan.outputs
        if isinstance(o, BlogPageOutput) and carries_inputs(out.dir / o.path, o.inputs)
    }
    with StagedSite(out.dir) as staged:
        _render(env, plan, kept, store, staged, shared, pool)
        staged.update(build_widget(settings.widget, env, inputs.shown.sources, inputs.shown.latest))
        staged.put(KEPT_FILE, kept_bytes(loaded.texts))
        staged.update(faces.files)
        assets = plan_assets(settings, loaded.posts, staged.names())
        published = staged.names() | kept | set(assets)
        warn_missing_references(loaded.posts, settings.site.url, published)
        copied, same = copy_assets(out.dir, assets)
        written, unchanged = staged.commit()
    prune_output(out.dir, published, settings.own.permalink)
    chrome = PageChrome(plan.base_feeds, plan.category_links, plan.updated)
    # A post that could not be read is reported by every build until it is fixed, and an
    # empty site says "updated now": neither is recorded.
    record = None
    if fingerprint is not None and not loaded.errors and (plan.items or plan.posts):
        changes = (health_changes_at(s, now) for s in inputs.shown.sources)
        record = BuildRecord(
            fingerprint=fingerprint,
            valid_until=valid_until(now, zone(settings.site.timezone), changes),
            files=published_sizes(out.dir, published),
            items=plan.items,
            posts=plan.posts,
            chrome=chrome,
        )
    write_record(out.dir, record)
    if settings.site.search:
        # Own posts live in files: the search index learns them from each build.
        store.replace_post_documents(
            [
                PostDocument(p.local_path, p.title, p.summary, p.content_html, p.published)
                for p in loaded.posts
            ]
        )
    feed_files = _feed_files(plan)
    return BuildOutcome(
        written=tuple(copied + written),
        unchanged=unchanged + same + len(kept),
        items=plan.items,
        posts=plan.posts,
        post_errors=loaded.errors,
        feeds_written=tuple(name for name in written if name in feed_files),
        chrome=chrome,
    )


def _feed_files(plan: SitePlan) -> set[str]:
    stems = [o.stem for o in plan.outputs if isinstance(o, FeedSpec)]
    return {f"{stem}.{suffix}" for stem in stems for suffix in ("xml", "json")}


def _render(
    env: Environment,
    plan: SitePlan,
    kept: set[str],
    store: Store,
    files: StagedSite,
    shared: RenderShared,
    pool: RenderPool,
) -> None:
    """Render every planned file but the archive and blog pages in ``kept`` into ``files``."""
    files.put("style.css", read_stylesheet(env))
    renderer = Renderer(env, shared, store)
    stale = [
        o
        for o in plan.outputs
        if not (isinstance(o, ArchiveMonth | BlogPageOutput) and o.path in kept)
    ]
    pool.render_all(stale, renderer, files)
