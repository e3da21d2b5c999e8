"""Settings: one TOML file, validated, with paths relative to the file's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.errors import ConfigError
from aggregator.settings import DEFAULT_CONFIG, config_path, load_settings

MINIMAL_SITE = """\
[site]
title = "Plain notes"
url = "https://notes.example.org/"
author = "Kim Example"
"""


def write_config(folder: Path, text: str, name: str = "aggregator.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def config_with(*sections: str, site: str = MINIMAL_SITE) -> str:
    """The minimal ``[site]`` section followed by extra sections."""
    return "\n".join([site, *sections])


def config_error(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ or {})
    return str(caught.value)


# -- a valid file ---------------------------------------------------------------------


def test_minimal_config_fills_in_every_default(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL_SITE)
    folder = tmp_path.resolve()

    settings = load_settings(path, environ={})

    assert settings.path == path
    assert settings.site.title == "Plain notes"
    assert settings.site.url == "https://notes.example.org/"
    assert settings.site.author == "Kim Example"
    assert settings.site.author_email is None
    assert settings.database.url == f"sqlite:///{folder / 'aggregator.sqlite3'}"
    assert settings.own.posts_dir == folder / "posts"
    assert settings.blogroll.file == folder / "blogroll.md"
    assert settings.output.dir == folder / "public"
    assert settings.output.items == 100
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8080
    assert settings.schedule.interval_minutes == 10
    assert settings.fetch.allow_networks == ()


def test_relative_paths_resolve_against_the_config_folder_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_folder = tmp_path / "site"
    site_folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write_config(
        site_folder,
        config_with(
            '[own]\nposts_dir = "writing"\n',
            '[blogroll]\nfile = "lists/blogs.opml"\n',
            '[output]\ndir = "../www"\nitems = 25\n',
        ),
    )
    folder = site_folder.resolve()

    settings = load_settings(path, environ={})

    assert settings.own.posts_dir == folder / "writing"
    assert settings.blogroll.file == folder / "lists" / "blogs.opml"
    assert settings.output.dir == tmp_path.resolve() / "www"
    assert settings.output.items == 25


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    posts = (tmp_path / "somewhere" / "posts").resolve()
    path = write_config(tmp_path, config_with(f'[own]\nposts_dir = "{posts}"\n'))

    assert load_settings(path, environ={}).own.posts_dir == posts


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("https://notes.example.org", "https://notes.example.org/"),
        ("https://notes.example.org/", "https://notes.example.org/"),
        ("https://example.org/~kim", "https://example.org/~kim/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
    ],
)
def test_site_url_always_ends_with_a_slash(tmp_path: Path, written: str, expected: str) -> None:
    site = f'[site]\ntitle = "t"\nurl = "{written}"\nauthor = "a"\n'
    path = write_config(tmp_path, site)

    assert load_settings(path, environ={}).site.url == expected


def test_optional_values_from_the_file_are_used(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        config_with(
            '[server]\nhost = "0.0.0.0"\nport = 9000\n',
            "[schedule]\ninterval_minutes = 15\n",
            "[fetch]\nconnect_timeout = 3\nread_timeout = 4.5\nworkers = 2\n",
            site=MINIMAL_SITE + 'author_email = "kim@example.org"\n',
        ),
    )

    settings = load_settings(path, environ={})

    assert settings.site.author_email == "kim@example.org"
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9000)
    assert settings.schedule.interval_minutes == 15
    assert settings.fetch.connect_timeout == 3
    assert settings.fetch.read_timeout == 4.5
    assert settings.fetch.workers == 2


# -- the database URL -----------------------------------------------------------------


def test_database_url_from_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, config_with('[database]\nurl = "postgresql://file-host/aggregator"\n')
    )
    environ = {"AGGREGATOR_DATABASE_URL": "postgresql://env-host/aggregator"}

    settings = load_settings(path, environ=environ)

    assert settings.database.url == "postgresql://env-host/aggregator"


def test_database_url_from_the_file_is_used_when_the_environment_has_none(
    tmp_path: Path,
) -> None:
    path = write_config(
        tmp_path, config_with('[database]\nurl = "postgresql://file-host/aggregator"\n')
    )

    assert load_settings(path, environ={}).database.url == "postgresql://file-host/aggregator"


def test_environment_database_url_applies_without_a_database_section(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL_SITE)
    environ = {"AGGREGATOR_DATABASE_URL": "sqlite:////var/lib/aggregator/feeds.db"}

    assert load_settings(path, environ=environ).database.url == environ["AGGREGATOR_DATABASE_URL"]


@pytest.mark.parametrize(
    ("written", "relative_file"),
    [
        ("sqlite:///x.db", "x.db"),
        ("sqlite:///data/feeds.sqlite3", "data/feeds.sqlite3"),
    ],
)
def test_relative_sqlite_url_resolves_against_the_config_folder(
    tmp_path: Path, written: str, relative_file: str
) -> None:
    path = write_config(tmp_path, config_with(f'[database]\nurl = "{written}"\n'))

    url = load_settings(path, environ={}).database.url

    assert url == f"sqlite:///{tmp_path.resolve() / relative_file}"


@pytest.mark.parametrize(
    "written",
    ["sqlite:////srv/aggregator/feeds.db", "sqlite:///:memory:", "postgresql://db/aggregator"],
)
def test_absolute_and_non_file_database_urls_are_kept(tmp_path: Path, written: str) -> None:
    path = write_config(tmp_path, config_with(f'[database]\nurl = "{written}"\n'))

    assert load_settings(path, environ={}).database.url == written


def test_relative_sqlite_url_from_the_environment_also_resolves_against_the_config_folder(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, MINIMAL_SITE)

    url = load_settings(path, environ={"AGGREGATOR_DATABASE_URL": "sqlite:///env.db"}).database.url

    assert url == f"sqlite:///{tmp_path.resolve() / 'env.db'}"


# -- the server address ------------------------------------------------------------------


def test_server_host_and_port_from_the_environment_win_over_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_with('[server]\nhost = "127.0.0.1"\nport = 8080\n'))
    environ = {"AGGREGATOR_SERVER_HOST": "0.0.0.0", "AGGREGATOR_SERVER_PORT": "9090"}

    server = load_settings(path, environ=environ).server

    assert (server.host, server.port) == ("0.0.0.0", 9090)


def test_empty_server_variables_are_ignored(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_with("[server]\nport = 8001\n"))
    environ = {"AGGREGATOR_SERVER_HOST": "", "AGGREGATOR_SERVER_PORT": ""}

    server = load_settings(path, environ=environ).server

    assert (server.host, server.port) == ("127.0.0.1", 8001)


@pytest.mark.parametrize("port", ["http", "-1", "0", "65536", "80.5"])
def test_invalid_server_port_in_the_environment_is_named(tmp_path: Path, port: str) -> None:
    path = write_config(tmp_path, MINIMAL_SITE)

    message = config_error(path, environ={"AGGREGATOR_SERVER_PORT": port})

    assert "\n" not in message
    assert "AGGREGATOR_SERVER_PORT" in message
    assert repr(port) in message


# -- errors: one line that names the file ---------------------------------------------


def assert_one_line_naming(message: str, path: Path) -> None:
    assert "\n" not in message
    assert str(path) in message


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[site]\ntitle = "Plain notes"\nurl = \nauthor = "Kim"\n')

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "line 3" in message


def test_unclosed_table_header_names_its_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL_SITE + "\n[server\nport = 80\n")

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "line 6" in message


@pytest.mark.parametrize(
    ("extra", "expected_parts"),
    [
        ('[server]\nhots = "0.0.0.0"\n', ["[server]", "hots", "unknown key"]),
        ("[schedule]\ninterval = 5\n", ["[schedule]", "interval", "unknown key"]),
        ('[themes]\nname = "dark"\n', ["unknown section", "[themes]"]),
        ('[server]\nport = "80"\n', ["[server]", "port", "integer", "string"]),
        ("[server]\nport = true\n", ["[server]", "port", "integer", "boolean"]),
        ("[output]\nitems = 2.5\n", ["[output]", "items", "integer"]),
        ("[own]\nposts_dir = 7\n", ["[own]", "posts_dir", "string"]),
        ('[fetch]\nread_timeout = "soon"\n', ["[fetch]", "read_timeout", "number"]),
        ('server = "localhost"\n', ["[server]", "table"]),
        ("[schedule]\ninterval_minutes = 0\n", ["[schedule]", "interval_minutes"]),
    ],
    ids=[
        "misspelt-key",
        "unknown-key-in-schedule",
        "unknown-section",
        "port-as-string",
        "port-as-boolean",
        "float-for-integer",
        "number-for-path",
        "string-for-timeout",
        "section-that-is-not-a-table",
        "interval-below-one",
    ],
)
def test_invalid_values_are_reported_with_section_and_key(
    tmp_path: Path, extra: str, expected_parts: list[str]
) -> None:
    # A bare key must come before the first table header to be top-level.
    text = extra + MINIMAL_SITE if extra.startswith("server =") else config_with(extra)
    path = write_config(tmp_path, text)

    message = config_error(path)

    assert_one_line_naming(message, path)
    for part in expected_parts:
        assert part in message


@pytest.mark.parametrize("missing", ["title", "url", "author"])
def test_missing_required_site_key_is_named(tmp_path: Path, missing: str) -> None:
    values = {"title": "Plain notes", "url": "https://notes.example.org/", "author": "Kim"}
    lines = [f'{key} = "{value}"' for key, value in values.items() if key != missing]
    path = write_config(tmp_path, "[site]\n" + "\n".join(lines) + "\n")

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert f"[site] {missing}" in message
    assert "missing" in message


def test_missing_site_section_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[server]\nport = 8000\n")

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "[site]" in message


@pytest.mark.parametrize("url", ["notes.example.org", "ftp://notes.example.org/", "/notes/"])
def test_site_url_must_be_absolute_http(tmp_path: Path, url: str) -> None:
    path = write_config(tmp_path, f'[site]\ntitle = "t"\nurl = "{url}"\nauthor = "a"\n')

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "[site] url" in message


def test_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "aggregator.toml"

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "not found" in message


def test_file_that_is_not_utf8_is_reported_by_name(tmp_path: Path) -> None:
    path = tmp_path / "aggregator.toml"
    path.write_bytes(MINIMAL_SITE.replace("Plain", "Pl\xe4in").encode("latin-1"))

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "UTF-8" in message


# -- which file ------------------------------------------------------------------------


def test_config_path_prefers_the_explicit_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGREGATOR_CONFIG", "/etc/aggregator/from-env.toml")

    assert config_path("site/explicit.toml") == Path("site/explicit.toml")


def test_config_path_uses_the_environment_when_nothing_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGGREGATOR_CONFIG", "/etc/aggregator/from-env.toml")

    assert config_path() == Path("/etc/aggregator/from-env.toml")
    assert config_path(None) == Path("/etc/aggregator/from-env.toml")


def test_config_path_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGGREGATOR_CONFIG", raising=False)

    assert config_path() == Path("config/aggregator.toml")
    assert Path("config/aggregator.toml") == DEFAULT_CONFIG


def test_empty_environment_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGREGATOR_CONFIG", "")

    assert config_path() == DEFAULT_CONFIG


def test_load_settings_without_a_path_reads_the_file_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, MINIMAL_SITE, name="from-env.toml")
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(path))

    settings = load_settings(environ={})

    assert settings.path == path
    assert settings.site.title == "Plain notes"


# -- own posts and content ---------------------------------------------------------------


def test_content_and_permalink_defaults(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, MINIMAL_SITE), environ={})

    assert settings.own.permalink == "/posts/{slug}/"
    assert settings.own.feed_url is None
    assert settings.content.summary_length == 280
    assert settings.content.clamp_future_dates is True


def test_content_and_permalink_from_the_file(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        config_with(
            '[own]\npermalink = "/{year}/{month}/{slug}/"\n'
            'feed_url = "https://notes.example.org/index.xml"',
            "[content]\nsummary_length = 120\nclamp_future_dates = false",
        ),
    )

    settings = load_settings(path, environ={})

    assert settings.own.permalink == "/{year}/{month}/{slug}/"
    assert settings.own.feed_url == "https://notes.example.org/index.xml"
    assert settings.content.summary_length == 120
    assert settings.content.clamp_future_dates is False


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('[own]\npermalink = "/posts/{title}/"', "[own] permalink: unknown field {title}"),
        ('[own]\npermalink = "/posts/{year}/"', "[own] permalink: must contain {slug}"),
        ('[own]\npermalink = "posts/{slug}"', "[own] permalink: must start and end with '/'"),
        ('[own]\npermalink = "/posts/{slug/"', "[own] permalink: "),
        ('[own]\nfeed_url = "notes.example.org/feed"', "[own] feed_url: must be an absolute"),
        ("[content]\nsummary_length = 10", "[content] summary_length: must be between 40 and"),
        ("[content]\nsummary_length = 5000", "[content] summary_length: must be between"),
        ('[content]\nclamp_future_dates = "yes"', "clamp_future_dates: expected a boolean"),
        ("[content]\nsummary_length = true", "[content] summary_length: expected an integer"),
    ],
    ids=[
        "unknown-field", "no-slug", "not-slashed", "unclosed-brace", "relative-feed-url",
        "summary-too-short", "summary-too-long", "clamp-not-boolean", "length-boolean",
    ],
)  # fmt: skip
def test_invalid_content_settings_are_named(tmp_path: Path, section: str, expected: str) -> None:
    message = config_error(write_config(tmp_path, config_with(section)))

    assert expected in message
    assert message.startswith(str(tmp_path))


def test_server_threads_come_from_the_file_or_the_environment(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_with("[server]\nthreads = 8\n"))

    assert load_settings(path, environ={}).server.threads == 8
    environ = {"AGGREGATOR_SERVER_THREADS": "2"}
    assert load_settings(path, environ=environ).server.threads == 2
    assert load_settings(write_config(tmp_path, MINIMAL_SITE), environ={}).server.threads == 4


@pytest.mark.parametrize("threads", ["many", "0", "-3"])
def test_invalid_server_threads_in_the_environment_are_named(tmp_path: Path, threads: str) -> None:
    path = write_config(tmp_path, MINIMAL_SITE)

    message = config_error(path, environ={"AGGREGATOR_SERVER_THREADS": threads})

    assert "AGGREGATOR_SERVER_THREADS" in message
    assert repr(threads) in message


def test_server_port_out_of_range_in_the_file_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_with("[server]\nport = 70000\n"))

    message = config_error(path)

    assert_one_line_naming(message, path)
    assert "[server] port: must be between 1 and 65535" in message


# -- [websub] -------------------------------------------------------------------------


def test_websub_hubs_default_to_none_and_are_kept_in_order(tmp_path: Path) -> None:
    assert load_settings(write_config(tmp_path, MINIMAL_SITE), environ={}).websub.hubs == ()
    text = config_with('[websub]\nhubs = ["https://b.example/", "https://a.example/"]')
    hubs = load_settings(write_config(tmp_path, text), environ={}).websub.hubs
    assert hubs == ("https://b.example/", "https://a.example/")


def test_a_websub_hub_must_be_an_http_url(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_with('[websub]\nhubs = ["ftp://hub.example/"]'))
    assert "[websub] hubs: 'ftp://hub.example/'" in config_error(path)


def test_subscribing_is_off_by_default_with_a_ten_day_lease(tmp_path: Path) -> None:
    websub = load_settings(write_config(tmp_path, MINIMAL_SITE), environ={}).websub
    assert (websub.subscribe, websub.callback_url, websub.lease_seconds) == (False, None, 864000)


def test_subscribing_needs_a_callback_url_named_with_file_and_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_with("[websub]\nsubscribe = true"))
    error = config_error(path)
    assert str(path) in error
    assert "[websub] callback_url: required when subscribe is on" in error


def test_the_callback_url_must_be_an_http_url(tmp_path: Path) -> None:
    text = config_with('[websub]\nsubscribe = true\ncallback_url = "robin.example"')
    assert "[websub] callback_url: must be an absolute http(s) URL" in config_error(
        write_config(tmp_path, text)
    )
    text = config_with(
        '[websub]\nsubscribe = true\ncallback_url = "https://robin.example"\nlease_seconds = 3600'
    )
    websub = load_settings(write_config(tmp_path, text), environ={}).websub
    assert (websub.subscribe, websub.callback_url, websub.lease_seconds) == (
        True,
        "https://robin.example",
        3600,
    )
