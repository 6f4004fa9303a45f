"""alpine-base: paths and commands that differ between Debian and Alpine (alpine_paths.toml)."""

from __future__ import annotations

from dockslim.passes.alpine_base import AlpineBase
from dockslim.passes.alpine_paths import command_rules, missing_command, path_rules
from dockslim.testing import assert_fix, assert_no_fix

INSTALL_TINI = "RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*\n"


def test_tini_path_is_rewritten_in_exec_form():  # the voting-app `result` case
    assert_fix(
        AlpineBase,
        before="FROM node:22-bookworm-slim\n" + INSTALL_TINI + 'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["node", "server.js"]\n',
        after='FROM node:22-alpine\nRUN apk add --no-cache tini\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["node", "server.js"]\n',
        unsafe=True,
    )


def test_tini_path_is_rewritten_in_shell_form_and_run():
    assert_fix(
        AlpineBase,
        before="FROM debian:bookworm-slim\n" + INSTALL_TINI + "RUN /usr/bin/tini --version\nENTRYPOINT /usr/bin/tini -- sh\n",
        after="FROM alpine:3.24\nRUN apk add --no-cache tini\nRUN /sbin/tini --version\nENTRYPOINT /sbin/tini -- sh\n",
        unsafe=True,
    )


def test_tini_static_adds_its_subpackage():
    assert_fix(
        AlpineBase,
        before="FROM debian:bookworm-slim\n" + INSTALL_TINI + 'ENTRYPOINT ["/usr/bin/tini-static", "--"]\n',
        after='FROM alpine:3.24\nRUN apk add --no-cache tini tini-static\nENTRYPOINT ["/sbin/tini-static", "--"]\n',
        unsafe=True,
    )


def test_a_tini_the_stage_did_not_install_with_apt_is_left():
    # a binary downloaded to /usr/bin/tini stays where it was put
    assert_fix(
        AlpineBase,
        before='FROM debian:bookworm-slim\nCOPY tini /usr/bin/tini\nENTRYPOINT ["/usr/bin/tini", "--"]\n',
        after='FROM alpine:3.24\nCOPY tini /usr/bin/tini\nENTRYPOINT ["/usr/bin/tini", "--"]\n',
        unsafe=True,
    )


def test_commands_alpine_lacks_refuse_the_stage_with_the_reason():
    for body, word in (
        ('RUN apt-get update && apt-get install -y cron\nCMD ["cron", "-f"]\n', "crond"),
        ("RUN apt-get update && apt-get install -y apache2\nCMD apache2ctl -D FOREGROUND\n", "httpd"),
        ("RUN apt-get update && apt-get install -y php8.2-fpm && php-fpm8.2 -t\n", "php-fpm8N"),
    ):
        result = assert_no_fix(AlpineBase, "FROM debian:bookworm-slim\n" + body, unsafe=True)
        assert any(word in f.message for f in result.findings), [f.message for f in result.findings]


def test_update_ca_certificates_brings_the_ca_certificates_package():
    assert_fix(
        AlpineBase,
        before="FROM debian:bookworm-slim\nCOPY my.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates\n",
        after="FROM alpine:3.24\nRUN apk add --no-cache ca-certificates\nCOPY my.crt /usr/local/share/ca-certificates/\n"
              "RUN update-ca-certificates\n",
        unsafe=True,
    )


def test_a_locale_other_than_c_is_warned_about():
    result = assert_fix(
        AlpineBase,
        before="FROM debian:bookworm-slim\nENV LANG=en_US.UTF-8\n",
        after="FROM alpine:3.24\nENV LANG=en_US.UTF-8\n",
        unsafe=True,
    )
    assert any("musl has no locale database" in f.message for f in result.findings)


def test_the_musl_warning_names_the_stage_language():
    result = assert_fix(AlpineBase, before="FROM python:3.12-slim\n", after="FROM python:3.12-alpine\n", unsafe=True)
    message = " ".join(f.message for f in result.findings)
    assert "musllinux wheels" in message and "gcompat" in message and "DNS" in message


def test_path_and_command_tables_are_sourced():
    assert path_rules() and command_rules()
    for rule in path_rules():
        assert rule.debian.startswith("/") and rule.alpine.startswith("/") and rule.source
    for crule in command_rules():
        assert crule.reason and crule.source
    assert missing_command("/usr/sbin/cron") is not None
    assert missing_command("crond") is None
