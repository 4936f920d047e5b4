"""`footnote feeds add|list|remove|poll`: feeds and sitemaps on the command line (poll is one
round, for cron; `footnote run` polls by itself)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from retrieval.index.feed_table import describe_feed


def add_feeds_command(sub: Any, index_of: Callable[[argparse.Namespace], Any]) -> None:
    feeds = sub.add_parser("feeds", help="RSS/Atom feeds and sitemaps that keep the corpus current")
    verbs = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")

    s = verbs.add_parser("add", help="add a feed, a sitemap, or a page that advertises a feed")
    s.add_argument("url")
    s.add_argument("--every", type=int, metavar="MINUTES", help="minutes between polls")
    s.add_argument(
        "--ignore-robots", action="store_true",
        help="fetch this feed's pages whatever the sites' robots.txt say (your own sites)",
    )  # fmt: skip
    s.add_argument(
        "--shelf", default="public", metavar="NAME",
        help="the shelf its articles go on (default: public)",
    )  # fmt: skip
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=lambda a: _add(a, index_of(a)))

    s = verbs.add_parser("list", help="the feeds and how their polls went")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=lambda a: _list(a, index_of(a)))

    s = verbs.add_parser("remove", help="stop polling a feed (its articles stay)")
    s.add_argument("feed_id", type=int, metavar="ID")
    s.set_defaults(func=lambda a: _remove(a, index_of(a)))

    s = verbs.add_parser("poll", help="one round now: every feed that is due")
    s.add_argument("--all", action="store_true", help="poll every feed, due or not")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=lambda a: _poll(a, index_of(a)))


def _feeds(index: Any) -> Any:
    from retrieval.feeds.poll import Feeds

    return Feeds(index)


def _add(args: argparse.Namespace, index: Any) -> int:
    feed, new = _feeds(index).add(args.url, args.every, args.ignore_robots, args.shelf)
    if args.json:
        print(json.dumps({**feed.to_json(), "new": new}, ensure_ascii=False, indent=2))
        return 0
    if not new:
        print(f"feed {feed.feed_id} is already there: {feed.url}")
        return 0
    found = "" if feed.url == args.url.strip() else f" (advertised by {args.url.strip()})"
    title = f' "{feed.title}"' if feed.title else ""
    print(f"feed {feed.feed_id} added: {feed.url}{found}, {feed.kind}{title}, shelf {feed.shelf}")
    print(f"polled every {feed.every_minutes} min by `footnote run`, or now: footnote feeds poll")
    return 0


def _list(args: argparse.Namespace, index: Any) -> int:
    feeds = _feeds(index).all()
    if args.json:
        print(json.dumps([f.to_json() for f in feeds], ensure_ascii=False, indent=2))
        return 0
    if not feeds:
        print("no feeds yet: footnote feeds add URL")
    for f in feeds:
        print(describe_feed(f))
    return 0


def _remove(args: argparse.Namespace, index: Any) -> int:
    if not _feeds(index).remove(args.feed_id):
        print(f"no feed {args.feed_id}: footnote feeds list shows the ids")
        return 1
    print(f"feed {args.feed_id} removed; its articles stay (footnote forget removes one)")
    return 0


def _poll(args: argparse.Namespace, index: Any) -> int:
    results = _feeds(index).poll(due_only=not args.all)
    if args.json:
        print(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    else:
        if not results:
            print("no feed is due (footnote feeds poll --all polls every one)")
        for r in results:
            print(summary(r))
    return 1 if any(r.status == "failed" for r in results) else 0


def summary(r: Any) -> str:
    if r.status == "failed":
        return f"feed {r.feed_id}: failed: {r.error}"
    if r.status == "not-modified":
        return f"feed {r.feed_id}: not modified ({r.requests} request, {r.ms:.0f} ms)"
    waiting = f", {r.waiting} waiting for the next poll" if r.waiting else ""
    failed = f", {len(r.failed)} could not be read" if r.failed else ""
    return (
        f"feed {r.feed_id}: {r.added} added, {r.updated} updated, {r.unchanged} unchanged"
        f"{waiting}{failed} ({r.requests} requests, {r.ms:.0f} ms)"
    )
