//! Many tasks over one multiplexed connection.

use redis_sansio::Cmd;
use redis_sansio::resp::Frame;

use crate::conformance::env::{Case, shared_server, targets};
use crate::conformance::{Answer, Body, Call};

/// Tasks sharing the connection at once.
const TASKS: usize = 64;
/// Steps per task.
const STEPS: usize = 10;

/// 64 tasks share one connection at once, each making its own calls in turn:
/// requests, pipelines and transactions on its own keys, with values unique to the
/// task and step. Every reply is checked against what that task sent: a reply given
/// to the wrong caller, lost, duplicated or reordered within a task shows as a wrong
/// value or count; a transaction interleaved with other tasks' commands would break
/// its `EXEC` array.
pub fn concurrent_tasks<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("concurrent_tasks", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let key = |task: usize, name: &str| case.key(&format!("{task}:{name}"));
        let value = |task: usize, step: usize| {
            let mut value = format!("value-{task}-{step}-").into_bytes();
            value.push(task as u8);
            value
        };
        let jobs: Vec<Vec<Call>> = (0..TASKS)
            .map(|task| {
                let mut calls = Vec::new();
                for step in 0..STEPS {
                    let k = key(task, &step.to_string());
                    calls.push(Call::Request(
                        Cmd::new("SET").arg(&k).arg(value(task, step)),
                    ));
                    calls.push(Call::Request(Cmd::new("GET").arg(&k)));
                    calls.push(Call::Pipeline(vec![
                        Cmd::new("INCR").arg(key(task, "counter")),
                        Cmd::new("ECHO").arg(format!("{task}-{step}")),
                        Cmd::new("GET").arg(&k),
                    ]));
                    if step % 3 == 0 {
                        calls.push(Call::Transaction(vec![
                            Cmd::new("INCR").arg(key(task, "tx")),
                            Cmd::new("GET").arg(&k),
                        ]));
                    }
                }
                calls
            })
            .collect();
        let answers = conn.concurrently(jobs);
        assert_eq!(answers.len(), TASKS, "{case}");
        for (task, answers) in answers.into_iter().enumerate() {
            let mut answers = answers.into_iter();
            let mut next = |what: &str| {
                answers
                    .next()
                    .unwrap_or_else(|| panic!("{case}: task {task}: no answer for {what}"))
            };
            for step in 0..STEPS {
                let at = format!("{case}: task {task} step {step}");
                let v = Frame::bulk(value(task, step));
                match next("SET") {
                    Answer::Reply(Ok(reply)) if reply == Frame::simple("OK") => {}
                    other => panic!("{at}: SET: {other:?}"),
                }
                match next("GET") {
                    Answer::Reply(Ok(reply)) if reply == v => {}
                    other => panic!("{at}: GET: {other:?}"),
                }
                let expected = vec![
                    Ok(Frame::Integer(step as i64 + 1)),
                    Ok(Frame::bulk(format!("{task}-{step}"))),
                    Ok(v.clone()),
                ];
                match next("pipeline") {
                    Answer::Replies(Ok(replies)) if replies == expected => {}
                    other => panic!("{at}: pipeline: {other:?}"),
                }
                if step % 3 == 0 {
                    let expected = Frame::Array(vec![Frame::Integer(step as i64 / 3 + 1), v]);
                    match next("transaction") {
                        Answer::Reply(Ok(reply)) if reply == expected => {}
                        other => panic!("{at}: transaction: {other:?}"),
                    }
                }
            }
            assert!(
                answers.next().is_none(),
                "{case}: task {task}: extra answers"
            );
        }
        let counters: Vec<Cmd> = (0..TASKS)
            .map(|task| Cmd::new("GET").arg(key(task, "counter")))
            .collect();
        let counts = case.ok("counters", conn.pipeline(&counters));
        let expected = Ok(Frame::bulk(STEPS.to_string()));
        assert!(counts.iter().all(|c| c == &expected), "{case}: {counts:?}");
    }
}
