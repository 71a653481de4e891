//! A real server on loopback over a real SQLite file (with its key file), and tokens to call it with.

#![allow(dead_code)]

use bulwark_core::{MemberStateScope, Role};
use bulwark_server::ServerConfig;
use bulwark_store::tokens::{self, NewToken};
use bulwark_store::{Actor, Store};

pub struct TestServer {
    pub base: String,
    pub store: Store,
    pub db_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_prepared(|_| async {}).await
    }

    /// A server with these settings.
    pub async fn start_with(config: ServerConfig) -> TestServer {
        Self::start_full(config, |_| async {}).await
    }

    /// Starts a server after `prepare` has run on the opened store (e.g. to
    /// seed data that the server loads at start-up).
    pub async fn start_prepared<F, Fut>(prepare: F) -> TestServer
    where
        F: FnOnce(Store) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        Self::start_full(ServerConfig::default(), prepare).await
    }

    /// Starts a server with these settings after `prepare` has run on the store.
    pub async fn start_full<F, Fut>(config: ServerConfig, prepare: F) -> TestServer
    where
        F: FnOnce(Store) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("bulwark.db");
        // As `bulwark serve` does: the key file beside the SQLite file.
        let kek = bulwark_store::Kek::create(&dir.path().join("bulwark.db.key")).unwrap();
        let store = Store::open(db_path.to_str().unwrap())
            .await
            .unwrap()
            .with_kek(kek);
        prepare(store.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_store = store.clone();
        let handle = tokio::spawn(async move {
            bulwark_server::serve(listener, serve_store, config, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            base: format!("http://{addr}"),
            store,
            db_path,
            _dir: dir,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Issues a token directly through the store.
    pub async fn token(&self, role: Role, scope: &str) -> String {
        let scope: MemberStateScope = scope.parse().unwrap();
        tokens::create(
            &self.store,
            &Actor::system(),
            &MemberStateScope::All,
            NewToken {
                name: format!("{role} {scope}"),
                role,
                organisation: "test org".into(),
                scope,
                expires_at: None,
            },
            "test",
        )
        .await
        .unwrap()
        .secret
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
