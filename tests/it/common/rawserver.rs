//! A loopback HTTP/1.1 server whose handler writes the raw answer itself, for the faults of a
//! hostile server no real one produces on demand (a redirect elsewhere, an endless or trickling
//! body). Every request it got is kept for the test to inspect. Bounded: at most
//! `MAX_CONNECTIONS` connections, 5 s read timeouts; the handlers bound their own writing.
//! Stopped on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::fakegw::{Req, read_request};

const MAX_CONNECTIONS: usize = 100;

type Handler = dyn Fn(&Req, &mut TcpStream) + Send + Sync;

pub struct RawServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Req>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl RawServer {
    pub fn start(handler: impl Fn(&Req, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let handler: Arc<Handler> = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let (handler, requests) = (handler.clone(), requests2.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
                    let Some(req) = read_request(&mut stream) else {
                        return;
                    };
                    requests.lock().unwrap().push(Req {
                        method: req.method.clone(),
                        target: req.target.clone(),
                        headers: req.headers.clone(),
                        body: req.body.clone(),
                    });
                    handler(&req, &mut stream);
                });
            }
        });
        Self {
            addr,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> std::sync::MutexGuard<'_, Vec<Req>> {
        self.requests.lock().unwrap()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}
