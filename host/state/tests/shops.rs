//! The installs on both backends: stored, replaced, listed, removed; tokens
//! sealed at rest and bound to their row; a rotation; a database that is
//! down only fails the calls made while it is down.

use std::time::{Duration, UNIX_EPOCH};

use plugin_host_state::seal::{KEY_LEN, Keys};
use plugin_host_state::{AccessToken, Install, ShopRef, Shops, StateError, StateKey};
use test_support::pg_server;

fn key(byte: u8) -> StateKey {
    StateKey::from_bytes(&[byte; KEY_LEN]).expect("key")
}

fn install(plugin: &str, shop: &str, scopes: &[&str], at: u64) -> Install {
    Install {
        plugin: plugin.to_owned(),
        shop: ShopRef::new("shopify", shop).expect("shop"),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        installed_at: UNIX_EPOCH + Duration::from_secs(at),
    }
}

/// The same rules, whatever the backend.
fn installs_are_kept_replaced_and_removed(shops: &Shops) {
    let a = install(
        "checkout",
        "a.myshopify.com",
        &["add_fee", "modify_order"],
        1_700_000_000,
    );
    let b = install("checkout", "b.myshopify.com", &["add_fee"], 1_700_000_100);
    let other = install("loyalty", "a.myshopify.com", &[], 1_700_000_200);
    assert!(shops.list().expect("list").is_empty());
    assert!(shops.get("checkout", &a.shop).expect("get").is_none());

    shops.put(&a, &AccessToken::new("token-a")).expect("put");
    shops.put(&b, &AccessToken::new("token-b")).expect("put");
    shops
        .put(&other, &AccessToken::new("token-other"))
        .expect("put");
    let got = shops
        .get("checkout", &a.shop)
        .expect("get")
        .expect("installed");
    assert_eq!(got.install, a);
    assert_eq!(got.token.expose(), "token-a");
    assert_eq!(
        shops
            .get("loyalty", &a.shop)
            .expect("get")
            .expect("installed")
            .token
            .expose(),
        "token-other"
    );
    assert_eq!(
        shops.list().expect("list"),
        vec![a.clone(), b.clone(), other.clone()]
    );

    // Installing again replaces token, scopes and time.
    let again = install("checkout", "a.myshopify.com", &["add_fee"], 1_800_000_000);
    shops
        .put(&again, &AccessToken::new("token-a2"))
        .expect("put");
    let got = shops
        .get("checkout", &a.shop)
        .expect("get")
        .expect("installed");
    assert_eq!(got.install, again);
    assert_eq!(got.token.expose(), "token-a2");
    assert_eq!(shops.list().expect("list").len(), 3);

    assert!(shops.remove("checkout", &a.shop).expect("remove"));
    assert!(!shops.remove("checkout", &a.shop).expect("remove twice"));
    assert!(shops.get("checkout", &a.shop).expect("get").is_none());
    assert_eq!(shops.list().expect("list"), vec![b, other]);
}

#[test]
fn sqlite_keeps_installs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shops.sqlite3");
    let shops = Shops::sqlite(path.clone(), Some(Keys::new(key(1), None)));
    installs_are_kept_replaced_and_removed(&shops);

    // Sealed at rest: the token's bytes are nowhere in the file.
    let secret = install("checkout", "sealed.myshopify.com", &[], 1);
    shops
        .put(&secret, &AccessToken::new("very-secret-token-value"))
        .expect("put");
    drop(shops);
    let mut bytes = std::fs::read(&path).expect("read");
    if let Ok(wal) = std::fs::read(path.with_extension("sqlite3-wal")) {
        bytes.extend(wal);
    }
    assert!(!bytes.windows(23).any(|w| w == b"very-secret-token-value"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    // Reopened with the key: it opens; without it: an error naming the key.
    let reopened = Shops::sqlite(path.clone(), Some(Keys::new(key(1), None)));
    let got = reopened
        .get("checkout", &secret.shop)
        .expect("get")
        .expect("installed");
    assert_eq!(got.token.expose(), "very-secret-token-value");
    let rotated = Shops::sqlite(path.clone(), Some(Keys::new(key(2), Some(key(1)))));
    assert!(
        rotated
            .get("checkout", &secret.shop)
            .expect("get")
            .is_some()
    );
    let wrong = Shops::sqlite(path.clone(), Some(Keys::new(key(2), None)));
    let err = wrong.get("checkout", &secret.shop).expect_err("wrong key");
    assert!(err.to_string().contains(key(1).id()), "{err}");
    assert!(matches!(err, StateError::Seal { .. }));
}

#[test]
fn a_token_moved_to_another_row_does_not_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shops.sqlite3");
    let shops = Shops::sqlite(path.clone(), Some(Keys::new(key(1), None)));
    let victim = install("checkout", "victim.myshopify.com", &[], 1);
    let attacker = install("checkout", "attacker.myshopify.com", &[], 1);
    shops
        .put(&victim, &AccessToken::new("victim-token"))
        .expect("put");
    shops
        .put(&attacker, &AccessToken::new("attacker-token"))
        .expect("put");
    drop(shops);
    copy_victims_token_to_attacker(&path);
    let shops = Shops::sqlite(path, Some(Keys::new(key(1), None)));
    let err = shops
        .get("checkout", &attacker.shop)
        .expect_err("moved token");
    assert!(matches!(err, StateError::Seal { .. }), "{err}");
}

/// What someone with write access to the file could do: copy the victim's
/// sealed token into their own row.
fn copy_victims_token_to_attacker(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute(
        "UPDATE shops SET token = (SELECT token FROM shops WHERE shop = 'victim.myshopify.com')
         WHERE shop = 'attacker.myshopify.com'",
        [],
    )
    .expect("update");
}

#[test]
fn a_missing_directory_fails_the_call_and_the_next_call_retries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("later").join("shops.sqlite3");
    let shops = Shops::sqlite(path, Some(Keys::new(key(1), None)));
    let a = install("checkout", "a.myshopify.com", &[], 1);
    assert!(matches!(shops.list(), Err(StateError::Sqlite { .. })));
    std::fs::create_dir(dir.path().join("later")).expect("mkdir");
    shops
        .put(&a, &AccessToken::new("t"))
        .expect("put after the directory exists");
    assert_eq!(shops.list().expect("list"), vec![a]);
}

#[test]
fn without_a_key_installs_are_listed_and_removed_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shops.sqlite3");
    let a = install("checkout", "a.myshopify.com", &[], 1);
    Shops::sqlite(path.clone(), Some(Keys::new(key(1), None)))
        .put(&a, &AccessToken::new("t"))
        .expect("put");
    let keyless = Shops::sqlite(path, None);
    assert_eq!(keyless.list().expect("list"), vec![a.clone()]);
    assert!(matches!(
        keyless.get("checkout", &a.shop),
        Err(StateError::NoKey)
    ));
    assert!(matches!(
        keyless.put(&a, &AccessToken::new("t")),
        Err(StateError::NoKey)
    ));
    assert!(keyless.remove("checkout", &a.shop).expect("remove"));
}

#[test]
fn postgres_keeps_installs() {
    let Some(url) = pg_server::database("state_shops") else {
        return;
    };
    let shops = Shops::postgres(&url, Some(Keys::new(key(1), None))).expect("url");
    installs_are_kept_replaced_and_removed(&shops);
    // A second host on the same database sees the same installs.
    let a = install("checkout", "shared.myshopify.com", &["add_fee"], 5);
    shops.put(&a, &AccessToken::new("shared")).expect("put");
    let other_host = Shops::postgres(&url, Some(Keys::new(key(1), None))).expect("url");
    assert_eq!(
        other_host
            .get("checkout", &a.shop)
            .expect("get")
            .expect("installed")
            .token
            .expose(),
        "shared"
    );
}

#[test]
fn postgres_down_fails_calls_without_a_password_in_the_error() {
    let url = "postgresql://user:hunter2@127.0.0.1:1/db";
    let shops = Shops::postgres(url, Some(Keys::new(key(1), None))).expect("url");
    let err = shops.list().expect_err("no server");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(matches!(
        Shops::postgres("not a url", Some(Keys::new(key(1), None))),
        Err(StateError::BadUrl)
    ));
}
