//! Where the cluster clients send a command, without a server: the slot of its keys,
//! found by the key-spec interpreter, or a cross-slot refusal.

use redis_client::cluster::{ClusterError, command_slot};
use redis_client::{Cmd, cmd};
use redis_sansio::cluster::key_slot;

#[test]
fn single_key_commands_take_their_keys_slot() {
    assert_eq!(command_slot(cmd::get("foo").cmd()), Ok(Some(12182)));
    assert_eq!(command_slot(cmd::set("foo", "v").cmd()), Ok(Some(12182)));
    assert_eq!(
        command_slot(cmd::hset("{user1000}.following", [("f", "v")]).cmd()),
        Ok(Some(key_slot(b"user1000")))
    );
}

#[test]
fn multi_key_commands_need_one_slot() {
    let tagged = cmd::mget(["{t}a", "{t}b", "{t}c"]);
    assert_eq!(command_slot(tagged.cmd()), Ok(Some(key_slot(b"t"))));
    let spread = cmd::mget(["a", "b"]);
    assert_eq!(
        command_slot(spread.cmd()),
        Err(ClusterError::CrossSlot {
            first: key_slot(b"a"),
            second: key_slot(b"b"),
        })
    );
    // MSET's values are not keys.
    let mset = cmd::mset([("{t}a", "x"), ("{t}b", "y")]);
    assert_eq!(command_slot(mset.cmd()), Ok(Some(key_slot(b"t"))));
    // The same key twice is one slot.
    assert_eq!(
        command_slot(cmd::mget(["k", "k"]).cmd()),
        Ok(Some(key_slot(b"k")))
    );
}

#[test]
fn keys_found_by_keyword_and_count() {
    // EVAL's keys come after numkeys; its arguments are not keys.
    let eval = Cmd::new("EVAL")
        .arg("return 1")
        .arg(2)
        .arg("{s}1")
        .arg("{s}2")
        .arg("not-a-key");
    assert_eq!(command_slot(&eval), Ok(Some(key_slot(b"s"))));
    let eval = Cmd::new("EVAL").arg("return 1").arg(2).arg("x").arg("y");
    assert!(matches!(
        command_slot(&eval),
        Err(ClusterError::CrossSlot { .. })
    ));
    // XREAD's keys follow STREAMS.
    let xread = Cmd::new("XREAD")
        .arg("COUNT")
        .arg(1)
        .arg("STREAMS")
        .arg("{q}a")
        .arg("{q}b")
        .arg("0")
        .arg("0");
    assert_eq!(command_slot(&xread), Ok(Some(key_slot(b"q"))));
}

#[test]
fn keyless_commands_have_no_slot() {
    assert_eq!(command_slot(cmd::ping().cmd()), Ok(None));
    assert_eq!(command_slot(&Cmd::new("DBSIZE")), Ok(None));
    assert_eq!(
        command_slot(&Cmd::new("EVAL").arg("return 1").arg(0)),
        Ok(None)
    );
    assert_eq!(command_slot(&Cmd::new("NOSUCHCOMMAND").arg("x")), Ok(None));
}

#[test]
fn shard_channels_route_like_keys() {
    let publish = Cmd::new("SPUBLISH").arg("news").arg("hello");
    assert_eq!(command_slot(&publish), Ok(Some(key_slot(b"news"))));
}
