"""Benchmark the full-text index: build speed, index size, search latency.

    python bench/search.py                  # 10,000 pages (about a minute)
    python bench/search.py --pages 100000   # the long form (several minutes, ~1.5 GB RAM)
    python bench/search.py --backend postgresql [--pages N]   # PostgreSQL beside Whoosh

Generates N synthetic 300-word pages (English, Russian and Azerbaijani words, Zipf-distributed
over a real core vocabulary plus a long synthetic tail; deterministic for a given --seed) as
decks of 5-40 pages in 200 events, plus photos, builds them with `SearchIndex.rebuild()` into a
temporary directory, then times `SearchIndex.search()` (facets, grouping, snippets and all)
for a mix of typical queries in a partner scope and an unrestricted scope: first with empty
caches ("cold": every word's postings are read from the index the first time), then the
same queries again ("repeated": postings and filter masks are cached per segment).

The reference, in the same run: SQLite FTS5 (porter + unicode61, remove_diacritics 2) over
the same pages, built on one core, answering the same queries with the top 10, snippets, the
total and two facet counts (bench/fts5_reference.py). Build figures are CPU seconds (the
writer processes included) and peak RSS; search figures are wall-clock milliseconds.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fts5_reference as fts5  # noqa: E402  (bench/fts5_reference.py)

from archive.fulltext import AccessScope, ItemDoc, PageText, SearchRequest  # noqa: E402
from archive.fulltext.whoosh import SearchIndex  # noqa: E402

ENGLISH = """the of and to in a is that for on with as by are this be from at or an it not
which government digital public service services data citizens development e-government
online system systems national policy strategy information technology access infrastructure
security cyber transformation innovation agency ministry state management platform open
sector private partnership cooperation regional international experience best practice
practices challenges opportunities trust transparency accountability efficiency quality
provision legal framework divide personal protection rights freedoms participation survey
index ranking country countries region global trends case study studies implementation
capacity building training skills civil servants administration reform reforms budget
investment broadband mobile internet identity signature registry interoperability standards
cloud artificial intelligence analytics portal one-stop shop centre center citizen-centric
inclusive sustainable goals agenda united nations programme program project projects results
evaluation monitoring indicators performance outcomes impact growth economy economic social
health education procurement tax customs justice court municipal local governance decision
making evidence based research report review assessment maturity model roadmap vision mission
leadership institutional coordination committee council working group workshop conference
session panel discussion presentation keynote speaker expert experts network knowledge sharing
""".split()
RUSSIAN = """правительство правительства правительству электронное электронного электронной
государственные государственных услуги услуг услугам цифровая цифровой цифровых цифровизация
трансформация развитие развития стратегия стратегии граждан гражданам граждане данные данных
система системы систем информационные информационных технологии технологий безопасность
доступ доступа портал портала реформа реформы государственной службы служба служащих
министерство министерства агентство агентства сотрудничество партнерство опыт практики
практика проблемы возможности доверие прозрачность подотчетность эффективность качество
предоставление правовая база защита прав свобод участие обследование индекс рейтинг страна
страны регион регионы глобальные тенденции исследование внедрение потенциал обучение навыки
администрация бюджет инвестиции широкополосный мобильный интернет идентификация подпись
реестр совместимость стандарты облако искусственный интеллект аналитика центр обслуживания
населения устойчивое цели программа проект проекты результаты оценка мониторинг показатели
""".split()
AZERBAIJANI = """hökumət hökumətin elektron rəqəmsal dövlət xidmət xidmətləri xidmətlərin
vətəndaş vətəndaşlar vətəndaşların məlumat məlumatların sistem sistemi inkişaf inkişafı
strategiya siyasət texnologiya texnologiyalar təhlükəsizlik kibertəhlükəsizlik giriş
platforma portal islahat islahatlar nazirlik nazirliyi agentlik agentliyi əməkdaşlıq
tərəfdaşlıq təcrübə problemlər imkanlar etimad şəffaflıq hesabatlılıq səmərəlilik keyfiyyət
hüquqi çərçivə müdafiə hüquqlar azadlıqlar iştirak sorğu indeks reytinq ölkə ölkələr region
qlobal meyllər tədqiqat tətbiq potensial təlim bacarıqlar qulluqçular idarəetmə büdcə
investisiya mobil internet şəxsiyyət imza reyestr standartlar bulud süni intellekt analitika
mərkəz asan dayanıqlı məqsədlər proqram layihə layihələr nəticələr qiymətləndirmə monitorinq
göstəricilər innovasiya çağırışlar üstünlüklər müraciət ərizə qeydiyyat şəbəkə bilik
""".split()
ALPHABETS = {
    "en": ("bcdfghklmnprstvz", "aeiou"),
    "ru": ("бвгджзклмнпрстфхцчш", "аеиоуыэюя"),
    "az": ("bcçdfgğhxjklmnpqrsştvyz", "aeəıioöuü"),
}
QUERY_WORDS = {
    "en": ENGLISH[40:],
    "ru": RUSSIAN,
    "az": AZERBAIJANI,
}


def synthetic_vocabulary(rng: random.Random, language: str, core: list[str], size: int):
    consonants, vowels = ALPHABETS[language]
    words = list(dict.fromkeys(core))
    seen = set(words)
    while len(words) < size:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(words))]
    # Cumulative once: random.choices(weights=) would add up 30,000 weights for every page.
    return words, list(itertools.accumulate(weights))


def corpus(pages: int, seed: int):
    """Yield (ItemDoc, [PageText]) for about `pages` pages plus ~8% photos."""
    rng = random.Random(seed)
    vocab = {
        "en": synthetic_vocabulary(rng, "en", ENGLISH, 30_000),
        "ru": synthetic_vocabulary(rng, "ru", RUSSIAN, 20_000),
        "az": synthetic_vocabulary(rng, "az", AZERBAIJANI, 15_000),
    }
    languages = ["en"] * 6 + ["ru"] * 3 + ["az"] * 2
    events = []
    for event_id in range(1, 201):
        start = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3600))
        title = " ".join(rng.choices(vocab["en"][0][40:300], k=4)).capitalize()
        events.append((event_id, start, title))
    item_id = 0
    made = 0
    while made < pages:
        event_id, start, event_title = rng.choice(events)
        item_id += 1
        language = rng.choice(languages)
        words, weights = vocab[language]
        is_photo = rng.random() < 0.08
        count = 1 if is_photo else min(rng.randint(5, 40), pages - made)
        texts = [" ".join(rng.choices(words, cum_weights=weights, k=300)) for _ in range(count)]
        title = " ".join(rng.choices(words[20:400], k=5)).capitalize()
        item = ItemDoc(
            item_id=item_id,
            kind="photo" if is_photo else "presentation",
            title=title,
            speakers=(f"Speaker {rng.randint(1, 400)}",),
            organisations=(f"Organisation {rng.randint(1, 60)}",),
            language=None,
            visibility="staff" if rng.random() < 0.05 else "shared",
            event_id=event_id,
            event_slug=f"event-{event_id}",
            event_title=event_title,
            event_start=start,
            event_end=start + timedelta(days=1),
            city="Baku",
            country="Azerbaijan",
            tags=(),
            granted_org_ids=(event_id % 10,),
            item_date=start,
        )
        if is_photo:
            texts = [" ".join(rng.choices(words[:2000], k=12))]
        else:
            made += count
        yield item, [PageText(n + 1, None, t, language) for n, t in enumerate(texts)]


def queries(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    out = []
    for _ in range(count):
        language = rng.choice(["en", "en", "ru", "az"])
        words = QUERY_WORDS[language]
        a, b = rng.sample(words, 2)
        out.append(("one word", a))
        out.append(("two words", f"{a} {b}"))
        out.append(("phrase", f'"{a} {b}"'))
        out.append(("filter", f"{a} year:2018..2021"))
        out.append(("prefix", f"{a[:4]}*"))
    rng.shuffle(out)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(label: str, values: list[float]) -> None:
    """One line of percentiles (bench/search_page.py prints its figures with it)."""
    print(
        f"  {label:<22} n={len(values):<4} p50 {percentile(values, 50):7.1f} ms   "
        f"p95 {percentile(values, 95):7.1f} ms   p99 {percentile(values, 99):7.1f} ms"
    )


def cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (the rebuild's writer processes)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mb() -> float:
    """The largest resident set of this process or of any of its children so far."""
    return (
        max(
            resource.getrusage(w).ru_maxrss
            for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        / 1024
    )


def _rss_bytes(pid: int) -> int:
    """Resident bytes of one process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    """This process's children, grandchildren and so on, from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                kids = [int(k) for k in children.read().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


class RssSampler(threading.Thread):
    """The largest sum of resident memory of this process and all its descendants (the
    writer processes), sampled every 0.2 s: what the build needs from the machine at once."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.2):
            total = sum(_rss_bytes(pid) for pid in [me, *_descendants(me)])
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak / 1e6


def build(index: SearchIndex, root: Path, args: argparse.Namespace) -> dict[str, float]:
    """Build our index; print and return its figures (generation of the pages included,
    as in the FTS5 build)."""
    sampler = RssSampler()
    sampler.start()
    started, cpu = time.perf_counter(), cpu_seconds()
    result = index.rebuild(corpus(args.pages, args.seed), procs=args.procs)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    together = sampler.stop()
    size = sum(f.stat().st_size for f in (root / result.generation).rglob("*") if f.is_file())
    print(
        f"pages {args.pages:,}: {result.documents:,} documents (with photos), "
        f"{result.items:,} items"
    )
    figures = {"docs": result.documents, "cpu": cpu, "mb": size / 1e6, "peak": peak_mb()}
    print(
        f"build (archive, {args.procs} writer process(es)): {cpu:.1f} CPU s = "
        f"{result.documents / cpu:.0f} pages per CPU-second; wall {seconds:.1f} s = "
        f"{result.documents / seconds:.0f} pages/s; index {size / 1e6:.1f} MB; "
        f"peak RSS {together:.0f} MB for all its processes together "
        f"(the largest one alone: {figures['peak']:.0f} MB)"
    )
    return figures


def _fts5_build_alone(path: Path, pages: int, seed: int) -> tuple[int, float, float, float]:
    """The FTS5 build in a fresh process, so that its peak RSS is its own."""
    docs, cpu, size = fts5.build(path, corpus(pages, seed))
    return docs, cpu, size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_fts5(path: Path, args: argparse.Namespace, ours: dict[str, float]) -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        docs, cpu, size, peak = pool.apply(_fts5_build_alone, (path, args.pages, args.seed))
    print(
        f"build (SQLite FTS5 reference, one core): {cpu:.1f} CPU s = {docs / cpu:.0f} "
        f"pages per CPU-second; database {size:.1f} MB; peak RSS {peak:.0f} MB "
        "(its process, generating the pages too)"
    )
    print(
        f"  ratio archive/FTS5: build speed {(ours['docs'] / ours['cpu']) / (docs / cpu):.2f}x, "
        f"size {ours['mb'] / size:.2f}x"
    )


def compare(label: str, ours: dict[str, list[float]], theirs: dict[str, list[float]]) -> None:
    """p50/p95 per query kind for both engines, and the ratio of the p95s."""
    print(f"search, {label}: archive p50/p95 vs FTS5 p50/p95 (ms), ratio of p95")
    kinds = [*ours, "all"]
    ours = {**ours, "all": [v for k in ours for v in ours[k]]}
    theirs = {**theirs, "all": [v for k in theirs for v in theirs[k]]}
    for kind in kinds:
        a, b = ours[kind], theirs[kind]
        print(
            f"  {kind:<10} n={len(a):<4} {percentile(a, 50):6.1f} / {percentile(a, 95):6.1f}   "
            f"{percentile(b, 50):6.1f} / {percentile(b, 95):6.1f}   "
            f"{percentile(a, 95) / max(percentile(b, 95), 1e-6):5.2f}x"
        )


def time_archive(index: SearchIndex, plan, scope, cold: bool) -> dict[str, list[float]]:
    if cold:  # drop cached arrays: each scope starts like a fresh worker
        index.close()
        index.search(SearchRequest("", scope))
    by_type: dict[str, list[float]] = {}
    for kind, text in plan:
        started = time.perf_counter()
        page = index.search(SearchRequest(text, scope))
        by_type.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        assert page.total_hits >= 0
    return by_type


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--queries", type=int, default=60, help="queries of each type")
    parser.add_argument("--keep", help="build into this directory and keep it")
    parser.add_argument("--index", help="skip the build: search an index kept with --keep")
    parser.add_argument(
        "--backend",
        choices=("whoosh", "postgresql"),
        default="whoosh",
        help="postgresql: build and search the PostgreSQL backend beside Whoosh, in one run",
    )
    parser.add_argument("--procs", type=int, default=2, help="writer processes of the build")
    args = parser.parse_args()
    if args.backend == "postgresql":
        # Imported only here: it needs a PostgreSQL server. Under another name, or `compare`
        # would be a local of main() everywhere and the Whoosh path would fail.
        from bench.search_postgres import compare as compare_with_postgresql

        compare_with_postgresql(args)
        return

    if args.index:
        root = Path(args.index)
        index = SearchIndex(root)
        print(f"searching the index built earlier in {root}")
    else:
        root = Path(args.keep or tempfile.mkdtemp(prefix="fulltext-bench-"))
        index = SearchIndex(root)
        figures = build(index, root, args)

    scopes = {
        "unrestricted": AccessScope(include_staff_only=True),
        # a partner of organisation 3, with some events in its list
        "partner": AccessScope(False, frozenset(range(3, 201, 5)), 3),
    }
    started = time.perf_counter()
    index.search(SearchRequest("government", scopes["unrestricted"]))
    first = (time.perf_counter() - started) * 1000
    print(f"first search (opens the searcher, reads columns): {first:.0f} ms")
    print(f"{index.doc_count():,} documents in the index")

    fts5_path = root / "fts5.sqlite"
    if not args.index:
        build_fts5(fts5_path, args, figures)
    elif not fts5_path.exists():
        fts5.build(fts5_path, corpus(args.pages, args.seed))  # same --pages and --seed!
    plan = queries(args.seed, args.queries)
    for scope_name, scope in scopes.items():
        for run in ("cold", "repeated"):
            ours = time_archive(index, plan, scope, cold=run == "cold")
            theirs = fts5.time_queries(fts5_path, plan, scope, cold=run == "cold")
            compare(f"{scope_name} scope, {run} (top 10, snippets, facets)", ours, theirs)
    index.close()
    if not (args.keep or args.index):
        shutil.rmtree(root, ignore_errors=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
