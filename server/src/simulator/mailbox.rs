//! The simulator's mailbox: a small SMTP receiver on a loopback port that
//! keeps the messages it is given, so demo mode's email channel and the
//! tests have a relay to send to without a mail server. It speaks enough
//! of SMTP (RFC 5321) for a client: EHLO/HELO, MAIL, RCPT, DATA with dot
//! unstuffing, RSET, NOOP, QUIT. Recipients whose local part is `busy`
//! get a transient refusal (451) and `nobody` a permanent one (550), so
//! retries and give-ups can be seen.

use serde::Serialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Messages kept, the oldest dropped first.
const KEPT: usize = 200;
/// The largest message taken, bytes.
const MAX_MESSAGE: usize = 1024 * 1024;
/// How long a client may stay silent.
const IDLE: Duration = Duration::from_secs(30);

/// One message as received.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The `Subject:` header, unfolded (still encoded if it was).
    pub subject: String,
    /// The whole message, headers and body, as sent.
    pub data: String,
}

/// What the mailbox has received.
#[derive(Debug, Default)]
pub struct Mailbox {
    received: Mutex<VecDeque<Received>>,
}

impl Mailbox {
    /// The messages received, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn keep(&self, m: Received) {
        if let Ok(mut r) = self.received.lock() {
            if r.len() == KEPT {
                r.pop_front();
            }
            r.push_back(m);
        }
    }
}

/// Listens on `bind` (a loopback address) and receives mail into
/// `mailbox` until the task is aborted; gives the bound address.
pub async fn serve(
    mailbox: Arc<Mailbox>,
    bind: SocketAddr,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let mailbox = mailbox.clone();
            tokio::spawn(async move {
                if let Err(e) = session(stream, &mailbox).await {
                    tracing::debug!(error = %e, "the simulator's mailbox dropped a connection");
                }
            });
        }
    });
    Ok((addr, task))
}

/// The `Subject:` header of a message, unfolded.
fn subject_of(data: &str) -> String {
    let headers = data.split("\r\n\r\n").next().unwrap_or_default();
    let mut subject: Option<String> = None;
    for line in headers.split("\r\n") {
        match &mut subject {
            // Unfolding removes the line break and keeps the space.
            Some(s) if line.starts_with([' ', '\t']) => s.push_str(line),
            Some(_) => break,
            None => {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("subject")
                {
                    subject = Some(value.trim().to_string());
                }
            }
        }
    }
    subject.unwrap_or_default()
}

/// The address inside `<…>` after a command's colon.
fn path_of(arg: &str) -> String {
    let arg = arg.split_once(':').map_or(arg, |(_, a)| a).trim();
    arg.trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Reads the next line into `line`, waiting at most [`IDLE`]; `false`
/// when the client closed the connection.
async fn next_line<R: AsyncBufRead + Unpin>(
    lines: &mut R,
    line: &mut String,
) -> std::io::Result<bool> {
    line.clear();
    let n = tokio::time::timeout(IDLE, lines.read_line(line))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    Ok(n > 0)
}

/// One client's conversation.
async fn session(stream: TcpStream, mailbox: &Mailbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 simulator.invalid ESMTP simulated mailbox\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        if !next_line(&mut lines, &mut line).await? {
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-simulator.invalid\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 1048576\r\n"
            }
            "HELO" => b"250 simulator.invalid\r\n",
            "MAIL" => {
                from = Some(path_of(command));
                to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if from.is_none() => b"503 5.5.1 MAIL first\r\n",
            "RCPT" => {
                let rcpt = path_of(command);
                match rcpt.split('@').next().unwrap_or_default() {
                    "busy" => b"451 4.3.2 Mailbox busy, try again later\r\n",
                    "nobody" => b"550 5.1.1 No such user here\r\n",
                    _ => {
                        to.push(rcpt);
                        b"250 2.1.5 OK\r\n"
                    }
                }
            }
            "DATA" if to.is_empty() => b"554 5.5.1 No valid recipients\r\n",
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                let mut too_big = false;
                loop {
                    if !next_line(&mut lines, &mut line).await? {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // A leading dot was doubled by the sender.
                    let text = line.strip_prefix('.').unwrap_or(&line);
                    if data.len() + text.len() > MAX_MESSAGE {
                        too_big = true;
                    } else {
                        data.push_str(text);
                    }
                }
                if too_big {
                    b"552 5.3.4 Message too big\r\n"
                } else {
                    mailbox.keep(Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        subject: subject_of(&data),
                        data,
                    });
                    b"250 2.0.0 OK: queued\r\n"
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_found_and_unfolded() {
        let data = "From: a@b.c\r\nSubject: Firing: Errors\r\n  per hour\r\nTo: x@y.z\r\n\r\nSubject: not this\r\n";
        assert_eq!(subject_of(data), "Firing: Errors  per hour");
        assert_eq!(path_of("MAIL FROM:<a@b.c> SIZE=10"), "a@b.c");
        assert_eq!(path_of("RCPT TO:<x@y.z>"), "x@y.z");
    }
}
