//! Live reload: a broken edit never takes down what is serving, and the next
//! good edit recovers by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use careerbot::live::{Live, ReloadOutcome};

use crate::{copy_tree, fixture};

const PILOT: &str = "+++\nid = \"pilot\"\nquestion = \"How do I become a pilot?\"\naliases = [\"pilot training\"]\nsource = \"guide-a\"\nsection = \"FAQ\"\n+++\nFly a lot.\n";

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn questions_keep_being_answered_through_a_broken_edit_and_its_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let faq = tmp.path().join("faq");
    copy_tree(&fixture(), &faq);
    let live = Arc::new(Live::open(&faq, &tmp.path().join("index")).unwrap());

    let stop = Arc::new(AtomicBool::new(false));
    let (asked, wrong) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let asker = {
        let (live, stop, asked, wrong) = (live.clone(), stop.clone(), asked.clone(), wrong.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let k = live.get();
                if k.engine.ask("can i wfh").answer.map(|a| a.id).as_deref() != Some("remote-work")
                {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
                asked.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    std::fs::write(
        faq.join("entries/broken.md"),
        "+++\nid = \"broken\"\nquestion = \n+++\n",
    )
    .unwrap();
    match live.reload() {
        ReloadOutcome::Failed { errors } => assert!(
            errors.contains("entries/broken.md:3: error: invalid TOML"),
            "{errors}"
        ),
        other => panic!("a broken edit must be rejected, got {other:?}"),
    }
    assert!(live.last_error.lock().unwrap().is_some());
    assert_eq!(
        live.get()
            .engine
            .ask("how do i become a pilot")
            .answer
            .map(|a| a.id),
        None
    );

    std::fs::remove_file(faq.join("entries/broken.md")).unwrap();
    std::fs::write(faq.join("entries/pilot.md"), PILOT).unwrap();
    assert!(matches!(live.reload(), ReloadOutcome::Reloaded { .. }));
    assert!(live.last_error.lock().unwrap().is_none());
    assert_eq!(
        live.get()
            .engine
            .ask("how do i become a pilot")
            .answer
            .map(|a| a.id)
            .as_deref(),
        Some("pilot")
    );

    wait_until("questions during the reloads", || {
        asked.load(Ordering::Relaxed) > 50
    });
    stop.store(true, Ordering::Relaxed);
    asker.join().unwrap();
    assert_eq!(
        wrong.load(Ordering::Relaxed),
        0,
        "every question in flight must be answered"
    );
    assert_eq!(live.reloads_failed.load(Ordering::Relaxed), 1);
    assert_eq!(live.reloads_ok.load(Ordering::Relaxed), 1);
}

#[test]
fn the_watcher_reloads_good_edits_and_rejects_broken_ones_by_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let faq = tmp.path().join("faq");
    copy_tree(&fixture(), &faq);
    let live = Arc::new(Live::open(&faq, &tmp.path().join("index")).unwrap());
    let _watcher = live.watch(Duration::from_millis(150), |_| {}).unwrap();

    std::fs::write(faq.join("entries/pilot.md"), PILOT).unwrap();
    wait_until("the good edit to go live", || {
        live.get()
            .engine
            .ask("how do i become a pilot")
            .answer
            .is_some_and(|a| a.id == "pilot")
    });

    std::fs::write(faq.join("entries/pilot.md"), "+++\nid = \"pilot\"\n").unwrap();
    wait_until("the broken edit to be rejected", || {
        live.reloads_failed.load(Ordering::Relaxed) >= 1
    });
    assert!(
        live.get()
            .engine
            .ask("how do i become a pilot")
            .answer
            .is_some_and(|a| a.id == "pilot")
    );

    std::fs::write(
        faq.join("entries/pilot.md"),
        PILOT.replace("Fly a lot.", "Train and fly."),
    )
    .unwrap();
    // Recovered, and serving the fixed text, not the last good one.
    wait_until("recovery with the fixed entry served", || {
        live.last_error.lock().unwrap().is_none()
            && live
                .get()
                .engine
                .ask("how do i become a pilot")
                .answer
                .is_some_and(|a| a.id == "pilot" && a.snippet == "Train and fly.")
    });
}
