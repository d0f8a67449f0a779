from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from collectors.optionfiles import (
    OptionFileError,
    OptionValues,
    decrypt_login_file,
    default_option_files,
    encrypt_login_file,
    login_file_path,
    parse_option_text,
    read_login_path,
    read_option_files,
)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


# --------------------------------------------------------------------------- parsing


def test_basic_syntax(tmp_path):
    cnf = write(
        tmp_path / "my.cnf",
        "# comment\n"
        "; another\n"
        "[client]\n"
        "user = app\n"
        "host=db.example\n"
        "  port  =  3307  \n"
        "compress\n"
        "ssl-mode = REQUIRED\n"
        "loose-ssl-ca = /etc/ca.pem\n"
        "loose_connect_timeout = 7\n"
        "[mysqld]\n"
        "port = 9999\n"
        "datadir = /var/lib/mysql\n"
        "[mysql]\n"
        "database = shop\n",
    )
    values = read_option_files([cnf])
    assert isinstance(values, OptionValues)
    assert dict(values) == {
        "user": "app",
        "host": "db.example",
        "port": "3307",
        "compress": "",
        "ssl_mode": "REQUIRED",
        "ssl_ca": "/etc/ca.pem",
        "connect_timeout": "7",
        "database": "shop",
    }
    assert values.source["user"] == cnf
    assert values.warnings == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('password = "p a#ss"', "p a#ss"),
        ("password = 'p a#ss'", "p a#ss"),
        ('password = "p\\"q"', 'p"q'),
        ("password = 'it\\'s'", "it's"),
        ("password = a\\tb\\nc", "a\tb\nc"),
        ("password = a\\\\b", "a\\b"),
        ("password = \\sx", " x"),
        ("password = a\\qb", "a\\qb"),  # unknown escape kept
        ("password = secret # trailing comment", "secret"),
        ("password = secret#tail", "secret"),  # the client cuts at any unquoted '#'
        ("password = #x", ""),
        ('password = "a\\"#b" # c', 'a"#b'),
        ('password = "abc', '"abc'),  # unbalanced quote kept
        ("password = 'ab'c'", "ab'c"),  # only the outer pair goes
        ("password = a b c   ", "a b c"),
        ("password=;x", ";x"),  # ';' is a comment only at the start of a line
        ("password =", ""),
        ("password", ""),
        ("password # set at the prompt", ""),
    ],
)
def test_values(tmp_path, line, expected):
    cnf = write(tmp_path / "my.cnf", f"[client]\n{line}\n")
    assert read_option_files([cnf])["password"] == expected


def test_groups_are_case_insensitive_and_selectable(tmp_path):
    cnf = write(tmp_path / "my.cnf", "[CLIENT]\nuser=a\n[client-mariadb]\nuser=b\n[other]\nuser=c\n")
    assert read_option_files([cnf])["user"] == "b"
    assert read_option_files([cnf], groups=["client"])["user"] == "a"
    assert read_option_files([cnf], groups=["other"])["user"] == "c"
    assert read_option_files([cnf], groups=[]) == {}


def test_later_values_and_files_win(tmp_path):
    first = write(tmp_path / "a.cnf", "[client]\nuser=a\nhost=h1\n[mysql]\nuser=b\n")
    second = write(tmp_path / "b.cnf", "[client]\nhost=h2\n")
    values = read_option_files([first, second])
    assert values["user"] == "b"
    assert values["host"] == "h2"
    assert values.source == {"user": first, "host": second}


def test_garbled_lines_are_skipped(tmp_path):
    cnf = write(
        tmp_path / "my.cnf",
        "[client]\nuser=a\n= nokey\nfoo bar = x\n[broken\nhost=ignored\n[client]\nport=1\n!bogus x\n",
    )
    values = read_option_files([cnf])
    assert dict(values) == {"user": "a", "port": "1"}
    assert len(values.warnings) == 4


def test_binary_garbage_is_not_fatal(tmp_path):
    cnf = tmp_path / "my.cnf"
    cnf.write_bytes(b"\xef\xbb\xbf[client]\nuser=\xff\xfeok\n\x00\x01\nhost=h\n")
    cnf.chmod(0o600)
    values = read_option_files([cnf])
    assert values["host"] == "h"
    assert values["user"].endswith("ok")


def test_missing_defaults_file(tmp_path):
    missing = tmp_path / "nope.cnf"
    with pytest.raises(OptionFileError) as info:
        read_option_files([missing])
    assert isinstance(info.value, ValueError)
    assert str(info.value) == (f"cannot read option file {missing}: No such file — check the --defaults-file path")


def test_directory_as_defaults_file(tmp_path):
    with pytest.raises(OptionFileError, match="directory"):
        read_option_files([tmp_path])


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_defaults_file(tmp_path):
    cnf = write(tmp_path / "my.cnf", "[client]\nuser=a\n", mode=0o000)
    with pytest.raises(OptionFileError, match="Permission denied"):
        read_option_files([cnf])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_world_writable_file_is_ignored(tmp_path):
    cnf = write(tmp_path / "my.cnf", "[client]\nuser=a\n", mode=0o666)
    values = read_option_files([cnf])
    assert values == {}
    assert "world-writable" in values.warnings[0]


def test_include_and_includedir(tmp_path):
    write(tmp_path / "conf.d" / "b.cnf", "[client]\nuser=from-b\nport=2\n")
    write(tmp_path / "conf.d" / "a.cnf", "[client]\nuser=from-a\nhost=ha\n")
    write(tmp_path / "conf.d" / "c.ini", "[client]\nuser=from-ini\n")
    write(tmp_path / "conf.d" / "notes.txt", "[client]\nuser=from-txt\n")
    write(tmp_path / "extra.txt", "[client]\nsocket=/tmp/s\n")
    main = write(
        tmp_path / "my.cnf",
        "[client]\nuser=top\n!includedir conf.d\nport=1\n[mysqld]\n!include extra.txt\nfoo=bar\n",
    )
    values = read_option_files([main])
    # includedir: *.cnf only, in name order; an included file has its own groups and the including
    # file carries on in the group it was in (as my_print_defaults shows).
    assert values["user"] == "from-b"
    assert values["host"] == "ha"
    assert values["port"] == "1"
    assert values["socket"] == "/tmp/s"
    assert "foo" not in values
    assert values.source["user"] == tmp_path / "conf.d" / "b.cnf"

    windows = read_option_files([main], platform="win32")
    assert windows["user"] == "from-ini"


def test_include_absolute_missing_and_cycle(tmp_path):
    other = write(tmp_path / "sub" / "other.cnf", "[client]\nhost=abs\n")
    loop = tmp_path / "loop.cnf"
    write(loop, f"[client]\n!include {loop}\n!include {other}\n!include /no/such/file.cnf\n!includedir /no/dir\n")
    values = read_option_files([loop])
    assert values["host"] == "abs"
    assert len(values.warnings) == 3


def test_parse_option_text():
    values = parse_option_text("[client]\nuser=u\n[mysql]\nhost=h\n", ["mysql"])
    assert dict(values) == {"host": "h"}


@pytest.mark.skipif(shutil.which("my_print_defaults") is None, reason="needs my_print_defaults")
def test_agrees_with_my_print_defaults(tmp_path):
    cnf = write(
        tmp_path / "my.cnf",
        "[client]\n"
        "user = a#b\n"
        'password = "x # y" # c\n'
        "host=h # comment\n"
        "socket = \\s/tmp/x\\ty\\q\n"
        "ssl-ca = /ca\n"
        "bare\n"
        "  # indented comment\n"
        "[Client]\n"
        'user2 = "it\\"s"\n'
        "weird = 'ab'c'\n"
        "[mysqld]\n"
        "port = 1\n",
    )
    out = subprocess.run(
        ["my_print_defaults", f"--defaults-file={cnf}", "client"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    theirs: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.removeprefix("--").partition("=")
        theirs[key.replace("-", "_")] = value
    assert dict(read_option_files([cnf], groups=["client"])) == theirs


def test_default_option_files_posix(tmp_path):
    home = tmp_path / "home"
    mysql_home = tmp_path / "mysqlhome"
    write(home / ".my.cnf", "")
    write(mysql_home / "my.cnf", "")
    found = default_option_files(env={"MYSQL_HOME": str(mysql_home)}, home=home, platform="linux")
    assert found[-2:] == [mysql_home / "my.cnf", home / ".my.cnf"]
    etc = [p for p in (Path("/etc/my.cnf"), Path("/etc/mysql/my.cnf")) if p.is_file()]
    assert found == [*etc, mysql_home / "my.cnf", home / ".my.cnf"]
    (home / ".my.cnf").unlink()
    assert default_option_files(env={}, home=home, platform="linux") == etc


def test_default_option_files_windows(tmp_path):
    windir = tmp_path / "Windows"
    write(windir / "my.ini", "")
    write(windir / "my.cnf", "")
    found = default_option_files(env={"WINDIR": str(windir)}, home=tmp_path, platform="win32")
    assert found[:2] == [windir / "my.ini", windir / "my.cnf"]


# --------------------------------------------------------------------------- login path

LOGIN_TEXT = (
    "[client]\n"
    'user = "client-user"\n'
    'password = "client pw"\n'
    'host = "localhost"\n'
    "[prod]\n"
    'user = "prod-user"\n'
    'password = "p#r\\"od"\n'
    'host = "db.prod"\n'
    "port = 3307\n"
)


def mysql_config_editor_encrypt(text: str, raw_key: bytes) -> bytes:
    """An independent writer of the .mylogin.cnf format (as mysql_config_editor does it)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = bytearray(16)
    for i, b in enumerate(raw_key):
        key[i % 16] ^= b
    out = b"\x00\x00\x00\x00" + raw_key
    for line in text.splitlines(keepends=True):
        padder = padding.PKCS7(128).padder()
        plain = padder.update(line.encode()) + padder.finalize()
        enc = Cipher(algorithms.AES(bytes(key)), modes.ECB()).encryptor()
        cipher = enc.update(plain) + enc.finalize()
        out += struct.pack("<I", len(cipher)) + cipher
    return out


def test_read_login_path(tmp_path):
    raw_key = bytes(range(7, 27))
    login = tmp_path / ".mylogin.cnf"
    login.write_bytes(mysql_config_editor_encrypt(LOGIN_TEXT, raw_key))
    login.chmod(0o600)
    assert b"prod-user" not in login.read_bytes()

    assert read_login_path(path=login) == {"user": "client-user", "password": "client pw", "host": "localhost"}
    assert read_login_path("prod", path=login) == {
        "user": "prod-user",
        "password": 'p#r"od',
        "host": "db.prod",
        "port": "3307",
    }
    assert read_login_path("absent", path=login) == read_login_path(path=login)
    assert read_login_path(path=tmp_path / "missing") == {}


def test_login_path_env_override(tmp_path, monkeypatch):
    login = tmp_path / "test-login"
    login.write_bytes(encrypt_login_file("[client]\nuser=envuser\n"))
    monkeypatch.setenv("MYSQL_TEST_LOGIN_FILE", str(login))
    assert login_file_path() == login
    assert read_login_path() == {"user": "envuser"}


def test_encrypt_roundtrip_matches_independent_writer():
    raw_key = os.urandom(20)
    assert encrypt_login_file(LOGIN_TEXT, raw_key) == mysql_config_editor_encrypt(LOGIN_TEXT, raw_key)
    assert decrypt_login_file(encrypt_login_file(LOGIN_TEXT)) == LOGIN_TEXT


@pytest.mark.parametrize(
    "data",
    [
        b"\0\0\0\0short",
        b"\0\0\0\0" + bytes(20) + struct.pack("<i", 15) + bytes(15),
        b"\0\0\0\0" + bytes(20) + struct.pack("<i", 32) + bytes(16),
        b"\0\0\0\0" + bytes(20) + struct.pack("<i", 16) + bytes(16),  # zero padding byte
    ],
)
def test_garbled_login_file(tmp_path, data):
    login = tmp_path / ".mylogin.cnf"
    login.write_bytes(data)
    with pytest.raises(OptionFileError):
        read_login_path(path=login)
