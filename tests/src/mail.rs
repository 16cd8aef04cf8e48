//! Real mail servers for the email channel's tests, started on free loopback ports:
//! Debian's dovecot (IMAP) and aiosmtpd (SMTP, writing every message it accepts into
//! a Maildir the test reads). Outside CI a missing server skips the test with a note;
//! under `CI=true` it is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::Arc;

use tanggap::domain::{Channel, Role};
use tanggap::notify::settings::{EmailSettings, ImapSettings, Security, SmtpSettings};
use tanggap::storage::Store;
use tanggap::storage::model::{
    AttachmentInfo, ChannelSettings, ComplaintQuery, ComplaintSummary, MailboxCursor, NewUnit, NewUser, Unit,
};

use crate::in_ci;

/// The password of the staff accounts [`unit_with_staff`] makes.
pub const STAFF_PASSWORD: &str = "kata-sandi-uji-123";

/// The IMAP mailbox login the tests use.
pub const MAILBOX_USER: &str = "pengaduan@dinas.test";
/// Its password.
pub const MAILBOX_PASSWORD: &str = "rahasia-uji";
/// A second mailbox on the same server (another unit's), with the same password.
pub const SECOND_MAILBOX_USER: &str = "pengaduan@dinas-lain.test";

/// A dovecot and an aiosmtpd for one test; both are stopped when dropped.
pub struct MailServers {
    /// IMAP port on 127.0.0.1 (plain).
    pub imap_port: u16,
    /// SMTP port on 127.0.0.1 (plain, no login).
    pub smtp_port: u16,
    dir: tempfile::TempDir,
    dovecot: Child,
    smtp: Child,
}

/// A free port on loopback (bound and released; the race with other tests is
/// harmless in practice because the kernel does not hand it out again at once).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind port 0")
        .local_addr()
        .expect("address")
        .port()
}

fn python_with_aiosmtpd() -> Option<String> {
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .map(str::to_owned)
        .find(|py| {
            Command::new(py)
                .args(["-c", "import aiosmtpd.handlers"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

fn dovecot_binary() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} did not start listening on port {port}:\n{log}");
}

impl MailServers {
    /// Starts both servers, or returns None (outside CI) when dovecot or aiosmtpd is
    /// not installed. Panics under `CI=true` when either is missing.
    pub fn start() -> Option<MailServers> {
        let dovecot = dovecot_binary();
        let python = python_with_aiosmtpd();
        let (Some(dovecot), Some(python)) = (dovecot, python) else {
            assert!(
                !in_ci(),
                "CI=true but dovecot (dovecot-imapd) or aiosmtpd (python3-aiosmtpd) is missing: the email tests must run in CI"
            );
            eprintln!("skipping email test: dovecot-imapd or python3-aiosmtpd is not installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        // dovecot's processes run as unprivileged users and must reach these folders.
        set_mode(root, 0o755);
        // ("sent" is left to aiosmtpd, which makes it a Maildir with its subfolders.)
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(sub)).expect("create folder");
        }
        let mail_uid = user_id("mail").expect("the system user `mail` exists");
        std::os::unix::fs::chown(root.join("mail"), Some(mail_uid.0), Some(mail_uid.1)).expect("chown mail");
        std::fs::write(
            root.join("passwd"),
            format!("{MAILBOX_USER}:{{PLAIN}}{MAILBOX_PASSWORD}\n{SECOND_MAILBOX_USER}:{{PLAIN}}{MAILBOX_PASSWORD}\n"),
        )
        .expect("write passwd");
        let imap_port = free_port();
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {r}/run\nstate_dir = {r}/state\n\
             log_path = {r}/dovecot.log\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             default_internal_user = dovecot\ndefault_login_user = dovenull\n\
             first_valid_uid = {uid}\nfirst_valid_gid = {gid}\nmail_location = maildir:{r}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/mail/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n\
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n",
            r = root.display(),
            uid = mail_uid.0,
            gid = mail_uid.1,
        );
        std::fs::write(root.join("dovecot.conf"), conf).expect("write dovecot.conf");
        let dovecot = Command::new(dovecot)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("dovecot.stderr")).expect("log file"))
            .spawn()
            .expect("start dovecot");
        let smtp_port = free_port();
        let smtp = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{smtp_port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(root.join("sent"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("smtp.stderr")).expect("log file"))
            .spawn()
            .expect("start aiosmtpd");
        let servers = MailServers {
            imap_port,
            smtp_port,
            dir,
            dovecot,
            smtp,
        };
        wait_for_port(imap_port, "dovecot", &servers.dir.path().join("dovecot.log"));
        wait_for_port(smtp_port, "aiosmtpd", &servers.dir.path().join("smtp.stderr"));
        Some(servers)
    }

    /// Every message the SMTP server accepted so far, as raw bytes, oldest first.
    pub fn sent_messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.path().join("sent").join(sub)) {
                for e in entries.flatten() {
                    let modified = e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
                    files.push((modified, e.path()));
                }
            }
        }
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read(p).expect("read sent mail"))
            .collect()
    }

    /// Waits until the SMTP server holds at least `n` messages and returns them.
    pub async fn wait_for_sent(&self, n: usize) -> Vec<Vec<u8>> {
        let start = Instant::now();
        loop {
            let sent = self.sent_messages();
            if sent.len() >= n || start.elapsed() > Duration::from_secs(10) {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Puts a message into the test mailbox with IMAP APPEND, as a mail server would
    /// deliver it.
    pub async fn append(&self, raw: &[u8]) {
        self.append_to(MAILBOX_USER, raw).await;
    }

    /// Puts a message into the INBOX of `user` (one of the mailboxes above).
    pub async fn append_to(&self, user: &str, raw: &[u8]) {
        self.append_with(user, raw, None).await;
    }

    /// Puts a message into the INBOX of `user` with the arrival time (IMAP
    /// INTERNALDATE, `"13-Feb-1998 08:00:00 +0700"`) a mail server would have given it.
    pub async fn append_dated(&self, user: &str, raw: &[u8], internal_date: &str) {
        self.append_with(user, raw, Some(&format!("\"{internal_date}\""))).await;
    }

    async fn append_with(&self, user: &str, raw: &[u8], internal_date: Option<&str>) {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port))
            .await
            .expect("connect IMAP");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting").expect("greeting");
        let mut session = client
            .login(user, MAILBOX_PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("IMAP login");
        session
            .append("INBOX", None, internal_date, raw)
            .await
            .expect("IMAP APPEND");
        session.logout().await.expect("logout");
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        // SIGTERM lets dovecot stop its own children; then reap both.
        for child in [&mut self.dovecot, &mut self.smtp] {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        }
        for child in [&mut self.dovecot, &mut self.smtp] {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A system user's uid and gid, from /etc/passwd.
fn user_id(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != name {
            return None;
        }
        let _ = f.next();
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

/// A unit taking complaints by email, with an address of its own.
pub fn new_unit(code: &str) -> NewUnit {
    NewUnit {
        code: code.into(),
        name: format!("Dinas {code}"),
        short_name: code.to_uppercase(),
        address: "Jl. Sudirman No. 1".into(),
        city: "Dumai".into(),
        phone: "(0765) 123".into(),
        email: format!("humas@{code}.test"),
        time_zone: "Asia/Jakarta".into(),
        letterhead: vec![code.to_uppercase()],
        head_title: "Kepala Dinas".into(),
        head_name: "Budi".into(),
        head_nip: "1".into(),
        complaint_channels: vec![Channel::Email],
    }
}

/// Email settings for the mailbox `user` on the test servers (plain, loopback).
pub fn mailbox_settings(user: &str, imap_port: u16, smtp_port: u16) -> EmailSettings {
    EmailSettings {
        imap: ImapSettings {
            host: "127.0.0.1".into(),
            port: imap_port,
            security: Security::Plain,
            user: user.into(),
            password: MAILBOX_PASSWORD.into(),
            folder: "INBOX".into(),
            poll_seconds: 60,
        },
        smtp: SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp_port,
            security: Security::Plain,
            user: String::new(),
            password: String::new(),
        },
        from_address: user.into(),
        from_name: "Pengaduan".into(),
    }
}

/// A unit with a `petugas_{code}` and an `admin_{code}` account and, when given, an
/// email channel.
pub async fn unit_with_staff(store: &Arc<dyn Store>, code: &str, mail: Option<&EmailSettings>) -> Unit {
    let id = store.create_unit(&new_unit(code)).await.unwrap();
    if let Some(mail) = mail {
        store
            .set_channel_settings(&ChannelSettings {
                unit_id: id,
                channel: "email".into(),
                config: serde_json::to_value(mail).unwrap(),
                enabled: true,
            })
            .await
            .unwrap();
    }
    let hash = tanggap::passwords::hash(STAFF_PASSWORD).unwrap();
    for (prefix, role) in [("admin", Role::Admin), ("petugas", Role::Petugas)] {
        store
            .create_user(&NewUser {
                username: format!("{prefix}_{code}"),
                full_name: format!("{prefix} {code}"),
                password_hash: hash.clone(),
                roles: vec![(id, role)],
            })
            .await
            .unwrap();
    }
    store.unit_by_code(code).await.unwrap().unwrap()
}

/// A complaint's attachments split into (the files the sender attached, the raw
/// messages the intake keeps with every stored mail, issue 22).
pub fn split_raw(all: Vec<AttachmentInfo>) -> (Vec<AttachmentInfo>, Vec<AttachmentInfo>) {
    all.into_iter()
        .partition(|f| f.content_type != tanggap::intake::email::parse::RAW_CONTENT_TYPE)
}

/// Forgets where the poller got to in `settings`' mailbox, as a crash before the
/// cursor was written would: the next poll reads everything again.
pub async fn forget_cursor(store: &Arc<dyn Store>, settings: &EmailSettings) {
    store
        .set_mailbox_cursor(
            &MailboxCursor {
                mailbox: settings.mailbox_key(),
                uid_validity: 1,
                last_uid: 0,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
}

/// A unit's complaints, newest first (up to 500: more than any mail test makes).
pub async fn all_complaints(store: &Arc<dyn Store>, unit_id: i64) -> Vec<ComplaintSummary> {
    store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap()
}
