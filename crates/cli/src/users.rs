//! `onewindow user …` and `onewindow audit …`: account management and the audit chain at the
//! server's command line. The command line acts as an administrator named `cli:$USER`; its every
//! change is written to the audit trail like any other.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context as _, Error};
use clap::{Args, Subcommand};
use onewindow_app::Actor;
use onewindow_app::accounts::{NewUser, generate_password};
use onewindow_app::demo::accounts::demo_accounts;
use onewindow_domain::access::{Post, Role};
use onewindow_domain::audit::GENESIS;

use crate::{StoreArgs, open, open_existing};

/// Exit code of `audit verify` when the chain is broken.
const EXIT_TAMPERED: u8 = 3;

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Add(AddArgs),
    /// List every account (identity and phone masked).
    List,
    /// Disable an account; its sessions and API tokens end at once.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (generated and printed once, or read with --password-stdin); every
    /// session and token of the account ends.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set the address an account's alerts are mailed to (no address: clear it).
    Email {
        username: String,
        address: Option<String>,
    },
    /// Replace an account's posts (a permission change).
    Posts {
        username: String,
        #[command(flatten)]
        posts: PostArgs,
    },
}

/// `onewindow centre …`: the service centres a clerk's post (`clerk@CODE`) may name.
#[derive(Debug, Subcommand)]
pub(crate) enum CentreCommand {
    /// Add a centre, or rename one with the same code.
    Add {
        /// The code posts name, e.g. county-hall.
        code: String,
        /// Its name, e.g. 宁海县行政服务中心.
        name: String,
        #[arg(long, default_value = "")]
        name_en: String,
        #[arg(long, default_value = "")]
        address: String,
        /// The consultation phone printed on receipts and notices (咨询电话).
        #[arg(long, default_value = "")]
        phone: String,
    },
    /// List the centres.
    List,
}

pub(crate) async fn run_centre(
    store: &StoreArgs,
    command: CentreCommand,
) -> Result<ExitCode, Error> {
    let actor = operator();
    match command {
        CentreCommand::Add {
            code,
            name,
            name_en,
            address,
            phone,
        } => {
            // Like `user add`, this may be the first thing done to a new store.
            let service = open(store).await?;
            service
                .save_centre(
                    &actor,
                    onewindow_store::hall::Centre {
                        code: code.clone(),
                        name: name.clone(),
                        name_en,
                        address,
                        phone,
                        ..Default::default()
                    },
                )
                .await
                .map_err(report)?;
            println!("saved centre {code} ({name})");
        }
        CentreCommand::List => {
            let service = open_existing(store).await?;
            for centre in service.centres().await.map_err(report)? {
                println!("{:<24} {}", centre.code, centre.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub(crate) struct PostArgs {
    /// The role of the first post: applicant, agent, clerk, reviewer, approver, supervisor,
    /// return_visit_operator, intermediary, admin.
    #[arg(long)]
    role: Option<String>,
    /// The department of that post (reviewers and approvers), e.g. SCJGJ.
    #[arg(long)]
    department: Option<String>,
    /// The service centre of that post (window clerks), e.g. county-hall.
    #[arg(long)]
    centre: Option<String>,
    /// Further posts (一人多岗) as ROLE[:DEPARTMENT][@CENTRE], e.g. clerk@county-hall.
    #[arg(long = "post")]
    extra: Vec<String>,
    /// May see identity and phone numbers in full (each showing is audited).
    #[arg(long)]
    may_reveal_personal_data: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    #[arg(long)]
    username: String,
    /// The person's or firm's name as shown in the pages.
    #[arg(long)]
    name: Option<String>,
    /// For applicant accounts: the resident identity number or credit code it stands for.
    #[arg(long)]
    identity: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    posts: PostArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the whole chain; exit 3 naming the first record that was changed, removed or inserted.
    Verify {
        /// Also check the chain against a head recorded earlier (`audit head`), as SEQ:HASH.
        #[arg(long)]
        expect_head: Option<String>,
    },
    /// Print the number of records and the last hash, to keep outside the database.
    Head,
}

/// The command line's actor: an administrator named after the operating-system user.
pub(crate) fn operator() -> Actor {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "operator".into());
    Actor::command_line(&name)
}

fn parse_post(spec: &str) -> Result<Post, Error> {
    Post::parse_spec(spec).map_err(|role| {
        Error::msg(format!(
            "unknown role {role:?} in {spec:?}; roles are {}",
            Role::ALL.map(|r| r.as_str()).join(", ")
        ))
    })
}

fn posts_of(args: &PostArgs) -> Result<Vec<Post>, Error> {
    let mut posts = Vec::new();
    if let Some(role) = &args.role {
        let mut post = parse_post(role)?;
        if args.department.is_some() {
            post.department = args.department.clone();
        }
        if args.centre.is_some() {
            post.centre = args.centre.clone();
        }
        posts.push(post);
    } else if args.department.is_some() || args.centre.is_some() {
        anyhow::bail!("--department and --centre belong to a --role");
    }
    for spec in &args.extra {
        posts.push(parse_post(spec)?);
    }
    if posts.is_empty() {
        anyhow::bail!("give a --role (and --department or --centre where it needs one)");
    }
    Ok(posts)
}

fn read_password() -> Result<String, Error> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn describe_posts(posts: &[Post]) -> String {
    Post::specs(posts)
}

/// Turns the service's refusals into messages for the operator.
fn report(e: onewindow_app::AppError) -> Error {
    match e {
        onewindow_app::AppError::Invalid(errors) => Error::msg(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.reason))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => Error::new(other),
    }
}

pub(crate) async fn run_user(store: &StoreArgs, command: UserCommand) -> Result<ExitCode, Error> {
    let actor = operator();
    match command {
        UserCommand::Add(args) => {
            let posts = posts_of(&args.posts)?;
            let (password, generated) = if args.password_stdin {
                (read_password()?, false)
            } else {
                (generate_password().map_err(report)?, true)
            };
            // A new store is made here: creating the first administrator is how a county starts.
            let service = open(store).await?;
            let user = service
                .create_user(
                    &actor,
                    NewUser {
                        display_name: args.name.unwrap_or_else(|| args.username.clone()),
                        username: args.username,
                        password: password.clone(),
                        identity: args.identity,
                        phone: args.phone,
                        posts,
                        may_reveal_personal_data: args.posts.may_reveal_personal_data,
                    },
                )
                .await
                .map_err(report)?;
            println!(
                "created {} ({})",
                user.username,
                describe_posts(&user.posts)
            );
            if generated {
                println!("password: {password}");
                println!("(shown once; hand it over in person and have it changed)");
            }
        }
        UserCommand::List => {
            let service = open_existing(store).await?;
            let users = service.users(&actor).await.map_err(report)?;
            println!("{:<20} {:<10} {:<40} name", "username", "state", "posts");
            for u in users {
                println!(
                    "{:<20} {:<10} {:<40} {}",
                    u.username,
                    if u.disabled { "disabled" } else { "active" },
                    describe_posts(&u.posts),
                    u.display_name
                );
            }
        }
        UserCommand::Disable { username } => {
            let service = open_existing(store).await?;
            service
                .set_user_disabled(&actor, &username, true)
                .await
                .map_err(report)?;
            println!("disabled {username}; its sessions and tokens have ended");
        }
        UserCommand::Enable { username } => {
            let service = open_existing(store).await?;
            service
                .set_user_disabled(&actor, &username, false)
                .await
                .map_err(report)?;
            println!("enabled {username}");
        }
        UserCommand::Email { username, address } => {
            let service = open_existing(store).await?;
            let view = service
                .set_email(&actor, &username, address.clone())
                .await
                .map_err(report)?;
            match address {
                Some(a) => println!("alerts of {} are mailed to {a}", view.username),
                None => println!("alerts of {} are no longer mailed", view.username),
            }
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                (read_password()?, false)
            } else {
                (generate_password().map_err(report)?, true)
            };
            let service = open_existing(store).await?;
            service
                .reset_password(&actor, &username, password.clone())
                .await
                .map_err(report)?;
            println!("new password set for {username}; its sessions and tokens have ended");
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Posts { username, posts } => {
            let list = posts_of(&posts)?;
            let service = open_existing(store).await?;
            let user = service
                .set_user_posts(&actor, &username, list, posts.may_reveal_personal_data)
                .await
                .map_err(report)?;
            println!(
                "{} now holds: {}",
                user.username,
                describe_posts(&user.posts)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn run_audit(store: &StoreArgs, command: AuditCommand) -> Result<ExitCode, Error> {
    let service = open_existing(store).await?;
    match command {
        AuditCommand::Head => {
            let (seq, hash) = service.audit_head().await.map_err(report)?;
            println!("{seq}:{hash}");
        }
        AuditCommand::Verify { expect_head } => {
            let chain = service.verify_audit_chain().await.map_err(report)?;
            if let Some(broken) = &chain.broken {
                println!("audit chain BROKEN at record {}: {broken}", broken.seq());
                // Records that link but lie beyond the break are not trusted either.
                let intact = chain.checked.min(broken.seq().saturating_sub(1));
                if intact == 0 {
                    println!("no record can be trusted");
                } else {
                    println!("records 1 to {intact} are intact; nothing after that can be trusted");
                }
                return Ok(ExitCode::from(EXIT_TAMPERED));
            }
            if let Some(expected) = expect_head {
                let (seq, hash) = expected
                    .split_once(':')
                    .and_then(|(s, h)| s.parse::<u64>().ok().map(|s| (s, h.to_string())))
                    .ok_or_else(|| {
                        Error::msg("--expect-head is SEQ:HASH, as `audit head` prints it")
                    })?;
                match if seq == 0 {
                    // The head of an empty chain is the genesis hash, and nothing else.
                    Some(GENESIS.to_string())
                } else {
                    service.audit_record_hash(seq).await.map_err(report)?
                } {
                    Some(found) if found == hash => {}
                    Some(_) => {
                        println!(
                            "audit chain BROKEN at record {seq}: it differs from the head recorded earlier (the chain was rewritten)"
                        );
                        return Ok(ExitCode::from(EXIT_TAMPERED));
                    }
                    None => {
                        println!(
                            "audit chain BROKEN at record {seq}: the chain is shorter than the head recorded earlier"
                        );
                        return Ok(ExitCode::from(EXIT_TAMPERED));
                    }
                }
            }
            println!(
                "audit chain intact: {} records, last hash {}",
                chain.checked, chain.head_hash
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the demo accounts at the start of `onewindow demo`.
pub(crate) fn print_demo_accounts() -> Result<(), Error> {
    eprintln!("demo accounts (DEMO ONLY: these passwords are public):");
    for a in demo_accounts()?
        .into_iter()
        .chain(onewindow_app::demo::accounts::demo_joint_staff()?)
    {
        eprintln!(
            "  {:<16} {:<18} {}",
            a.username,
            a.password,
            describe_posts(&a.posts)
        );
    }
    Ok(())
}
