//! A caller of a multiplexed client, for tests that run many of them at once.

use redis_io_async::{Client, Outcome, Runtime};
use redis_sansio::resp::Frame;

use crate::cmd;

/// One of many concurrent callers: `ECHO`es 20 values of its own one by one, then 10
/// more in one pipeline, and asserts that every reply is its own value, in order.
/// `task` makes the values unique across callers, so a reply delivered to the wrong
/// caller fails the test.
pub async fn echo_task<R: Runtime>(client: Client<R>, task: usize) {
    for i in 0..20 {
        let value = format!("{task}-{i}");
        let reply = client.request(&cmd(&["ECHO", &value])).await.unwrap();
        assert_eq!(reply, Frame::bulk(value));
    }
    let values: Vec<String> = (0..10).map(|i| format!("{task}-p{i}")).collect();
    let cmds: Vec<_> = values.iter().map(|value| cmd(&["ECHO", value])).collect();
    let outcomes: Vec<Outcome> = client.pipeline(&cmds).await.unwrap();
    assert_eq!(outcomes.len(), values.len());
    for (outcome, value) in outcomes.into_iter().zip(values) {
        assert_eq!(outcome.unwrap(), Frame::bulk(value));
    }
}
