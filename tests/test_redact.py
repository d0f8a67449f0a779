from __future__ import annotations

from pathlib import Path

import pytest

from collectors.redact import REDACTED, is_secret_key, redact_option_text, scrub_text

DATA = Path(__file__).parent / "data"


def test_pt_mysql_summary_sample():
    text = (DATA / "pt-mysql-summary-mysql-config-file").read_text()
    assert "password = msandbox" in text
    redacted, keys = redact_option_text(text)
    assert keys == ["client.password"]
    assert "password = <redacted>" in redacted
    assert "password = msandbox" not in redacted
    before = text.splitlines()
    after = redacted.splitlines()
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    # this sandbox's password is also its user name: a secret found once is scrubbed everywhere
    assert changed == [
        ("user     = msandbox", "user     = <redacted>"),
        ("password = msandbox", "password = <redacted>"),
    ]
    assert "msandbox" not in redacted


def test_user_names_that_are_not_the_password_stay():
    redacted, keys = redact_option_text("[client]\nuser = app_reader\npassword = s3cr3t-pw\n")
    assert redacted == "[client]\nuser = app_reader\npassword = <redacted>\n"
    assert keys == ["client.password"]


def test_short_password_values_are_not_scrubbed_elsewhere():
    # replacing "ab" everywhere would garble the file; its own line is still redacted
    redacted, _keys = redact_option_text("[client]\npassword = ab\nsocket = /tmp/ab.sock\n")
    assert redacted == "[client]\npassword = <redacted>\nsocket = /tmp/ab.sock\n"


PLANTED = """\
# top comment with no secret
password_before_group = top
[client]
user = app
password = hunter2
loose-password="quoted # value"
PASSWORD=Upper
pass = p1
pwd = p2
passwd = p3
db_pass = p4
api_token = t1
aws_secret_access_key = s1
aws_access_key_id = k1
my_access_key = k2
credentials = c1
private_key = pk
auth_string = a1
ssl-key-password = skp
loose-ssl-key-password = skp2
ssl-key = /etc/mysql/client-key.pem
ssl_cert = /etc/mysql/client-cert.pem
loose-ssl-key = /etc/mysql/key2.pem
ssl-ca = /etc/ca.pem
host = db.example
  # password = commented-out
;pwd=also-commented
#   loose-password =   spaced
# The password is kept in the vault (no value here)
password
empty_password =
[mysqld]
wsrep_sst_auth = sst:sstpw
wsrep_cluster_address = gcomm://node1,node2
wsrep_sst_donor = mysql://repl:replpw@donor:3306/
log_error = /var/log/mysql.err # see https://admin:webpw@example.com/
default_password_lifetime = 90
validate_password.policy = STRONG
caching_sha2_password_private_key_path = private_key.pem
innodb_ft_min_token_size = 3
key_buffer_size = 16M
report_password = rp
bypass_something = 1
[client-server]
token = tk
"""


SECRETS = [
    "top",
    "hunter2",
    "quoted # value",
    "Upper",
    "p1",
    "p2",
    "p3",
    "p4",
    "t1",
    "s1",
    "k1",
    "k2",
    "c1",
    "pk",
    "a1",
    "skp",
    "skp2",
    "commented-out",
    "also-commented",
    "spaced",
    "sstpw",
    "replpw",
    "webpw",
    "rp",
    "tk",
]


def test_planted_cases():
    redacted, keys = redact_option_text(PLANTED)
    for secret in SECRETS:
        assert f"= {secret}\n" not in redacted and f"={secret}\n" not in redacted, secret
    for word in ("hunter2", "quoted # value", "sstpw", "replpw", "webpw", "commented-out", "spaced"):
        assert word not in redacted
    assert keys == [
        "password_before_group",
        "client.password",
        "client.loose-password",
        "client.PASSWORD",
        "client.pass",
        "client.pwd",
        "client.passwd",
        "client.db_pass",
        "client.api_token",
        "client.aws_secret_access_key",
        "client.aws_access_key_id",
        "client.my_access_key",
        "client.credentials",
        "client.private_key",
        "client.auth_string",
        "client.ssl-key-password",
        "client.loose-ssl-key-password",
        "mysqld.wsrep_sst_auth",
        "mysqld.wsrep_sst_donor",
        "mysqld.report_password",
        "client-server.token",
    ]
    # layout: same lines, and untouched lines are byte-identical
    kept = [
        "# top comment with no secret",
        "[client]",
        "user = app",
        "ssl-key = /etc/mysql/client-key.pem",
        "ssl_cert = /etc/mysql/client-cert.pem",
        "loose-ssl-key = /etc/mysql/key2.pem",
        "ssl-ca = /etc/ca.pem",
        "host = db.example",
        "# The password is kept in the vault (no value here)",
        "password",
        "empty_password =",
        "wsrep_cluster_address = gcomm://node1,node2",
        "default_password_lifetime = 90",
        "validate_password.policy = STRONG",
        "caching_sha2_password_private_key_path = private_key.pem",
        "innodb_ft_min_token_size = 3",
        "key_buffer_size = 16M",
        "bypass_something = 1",
    ]
    for line in kept:
        assert line in redacted.splitlines(), line
    assert len(redacted.splitlines()) == len(PLANTED.splitlines())
    assert "loose-password=<redacted>" in redacted
    assert "  # password = <redacted>" in redacted
    assert ";pwd=<redacted>" in redacted
    assert "#   loose-password =   <redacted>" in redacted
    assert "log_error = /var/log/mysql.err # see https://admin:<redacted>@example.com/" in redacted


def test_line_endings_are_kept():
    text = "[client]\r\npassword = x\r\nuser = u\r\n"
    redacted, keys = redact_option_text(text)
    assert redacted == "[client]\r\npassword = <redacted>\r\nuser = u\r\n"
    assert keys == ["client.password"]
    assert redact_option_text("password=x") == ("password=<redacted>", ["password"])


def test_nothing_to_redact():
    text = "[mysqld]\ndatadir=/var/lib/mysql\n\n# just a comment\n"
    assert redact_option_text(text) == (text, [])
    assert redact_option_text("") == ("", [])


def test_duplicate_keys_listed_once():
    _, keys = redact_option_text("[client]\npassword=a\npassword=b\n[mysql]\npassword=c\n")
    assert keys == ["client.password", "mysql.password"]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("loose-password", True),
        ("Loose_Password", True),
        ("ssl-key-password", True),
        ("ssl_key", False),
        ("loose-ssl-key", False),
        ("ssl-cert", False),
        ("key_buffer_size", False),
        ("aws_key_management_key_spec", False),
        ("aws-access-key-id", True),
        ("file_key_management_filekey", True),
        ("file_key_management_filename", False),
        ("ngram_token_size", False),
        ("hashicorp_key_management_token", True),
        ("user", False),
        ("passive", False),
    ],
)
def test_is_secret_key(key, secret):
    assert is_secret_key(key) is secret


def test_scrub_text():
    assert scrub_text("a hunter2 b hunter2", ["hunter2"]) == f"a {REDACTED} b {REDACTED}"
    assert scrub_text("abc", [""]) == "abc"
    assert scrub_text("pw=ab abc", ["ab", "abc"]) == f"pw={REDACTED} {REDACTED}"
    assert scrub_text("x", []) == "x"
    assert scrub_text("a.b", ["."]) == f"a{REDACTED}b"


def test_ddl_literals_scrubbed_except_in_create_table():
    from collectors.redact import scrub_ddl_literals

    ddl = ("CREATE TABLE `t` (\n  `s` enum('a','b') DEFAULT 'a' COMMENT 'kept'\n);\n"
           "CREATE VIEW `v` AS select 1 from `t` where `s` = 'planted-view-literal';\n"
           "CREATE PROCEDURE `p`()\nBEGIN\n  SELECT \"planted-proc-literal\";\n  SELECT 'x''y';\nEND;\n")
    out = scrub_ddl_literals(ddl)
    assert "enum('a','b') DEFAULT 'a' COMMENT 'kept'" in out
    assert "planted" not in out and "x''y" not in out
    assert out.count("'?'") == 3


def test_a_common_password_is_removed_only_where_a_password_can_be():
    """Issue 13, finding 8: replacing every equal word showed the password (ENGINE=<redacted> for InnoDB)."""
    from collectors.redact import SecretScrubber, common_secret_reason

    scrub = SecretScrubber(["InnoDB"])
    text = ("CREATE TABLE t (id INT) ENGINE=InnoDB;\n"
            "[client]\npassword=InnoDB\nuser = InnoDB\n"
            "CREATE USER 'app'@'%' IDENTIFIED BY 'InnoDB';\n"
            "ALTER USER app IDENTIFIED WITH mysql_native_password AS 'InnoDB';\n"
            "SET PASSWORD = PASSWORD('InnoDB');\n"
            "CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASSWORD = 'InnoDB';\n"
            "mysql -uapp -pInnoDB --password=InnoDB shop\n"
            "mysql://app:InnoDB@db1:3306/shop\n"
            '{"password": "InnoDB", "engine": "InnoDB"}\n'
            "Server=db1;Uid=app;Pwd=InnoDB;\n")
    assert scrub(text) == (
        "CREATE TABLE t (id INT) ENGINE=InnoDB;\n"
        f"[client]\npassword={REDACTED}\nuser = {REDACTED}\n"
        f"CREATE USER 'app'@'%' IDENTIFIED BY '{REDACTED}';\n"
        f"ALTER USER app IDENTIFIED WITH mysql_native_password AS '{REDACTED}';\n"
        f"SET PASSWORD = PASSWORD('{REDACTED}');\n"
        f"CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASSWORD = '{REDACTED}';\n"
        f"mysql -uapp -p{REDACTED} --password={REDACTED} shop\n"
        f"mysql://app:{REDACTED}@db1:3306/shop\n"
        f'{{"password": "{REDACTED}", "engine": "InnoDB"}}\n'
        f"Server=db1;Uid=app;Pwd={REDACTED};\n")
    assert scrub("password=InnoDBx") == "password=InnoDBx"  # another value, not the password
    # a long random password is still removed wherever it appears
    assert SecretScrubber(["Zk29-rq!7Tq"])("x Zk29-rq!7Tq y") == f"x {REDACTED} y"
    assert common_secret_reason("InnoDB") is not None and common_secret_reason("Sunshine1") == "a common word"
    assert common_secret_reason("short7") == "shorter than 8 characters"
    assert common_secret_reason("max_connections", {"max_connections"}) is not None
    assert common_secret_reason("Zk29-rq!7Tq") is None


def test_option_file_keeps_the_engine_when_the_password_is_its_name():
    redacted, keys = redact_option_text("[mysqld]\ndefault_storage_engine = InnoDB\n[client]\npassword = InnoDB\n")
    assert redacted == f"[mysqld]\ndefault_storage_engine = InnoDB\n[client]\npassword = {REDACTED}\n"
    assert keys == ["client.password"]
