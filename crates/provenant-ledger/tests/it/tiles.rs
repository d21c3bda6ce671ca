//! tlog-tiles paths, hash tiles and entry bundles.

use provenant_ledger::tiles::{self, TileError, TilePath};
use provenant_ledger::tree::{self, MemoryTree};

#[test]
fn paths_round_trip_in_the_specified_form() {
    for (path, tile) in [
        (
            "tile/0/000",
            TilePath::Hashes {
                level: 0,
                index: 0,
                width: None,
            },
        ),
        (
            "tile/0/x001/x234/067",
            TilePath::Hashes {
                level: 0,
                index: 1_234_067,
                width: None,
            },
        ),
        (
            "tile/1/x001/000.p/7",
            TilePath::Hashes {
                level: 1,
                index: 1000,
                width: Some(7),
            },
        ),
        (
            "tile/entries/067",
            TilePath::Entries {
                index: 67,
                width: None,
            },
        ),
        (
            "tile/entries/x123/456.p/255",
            TilePath::Entries {
                index: 123_456,
                width: Some(255),
            },
        ),
    ] {
        assert_eq!(TilePath::parse(path).unwrap(), tile, "{path}");
        assert_eq!(tile.to_string(), path);
        assert_eq!(TilePath::parse(&format!("/{path}")).unwrap(), tile);
    }
}

#[test]
fn non_canonical_paths_are_refused() {
    for bad in [
        "",
        "tile",
        "tile/0",
        "tile/0/",
        "tile/0/1",
        "tile/0/0001",
        "tile/00/000",
        "tile/8/000",
        "tile/0/x000/001",
        "tile/0/001/002",
        "tile/0/x001/x002",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/07",
        "tile/0/000.p/",
        "tile/data/000",
        "tile/-1/000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tiles/0/000",
        "tile/0/00a",
    ] {
        assert!(
            matches!(TilePath::parse(bad), Err(TileError::BadPath { .. })),
            "{bad}"
        );
    }
}

#[test]
fn tiles_for_a_tree() {
    assert_eq!(TilePath::for_tree(Some(0), 0, 0), None);
    assert_eq!(
        TilePath::for_tree(Some(0), 0, 5).unwrap().to_string(),
        "tile/0/000.p/5"
    );
    assert_eq!(
        TilePath::for_tree(None, 0, 256).unwrap().to_string(),
        "tile/entries/000"
    );
    assert_eq!(
        TilePath::for_tree(None, 1, 300).unwrap().to_string(),
        "tile/entries/001.p/44"
    );
    // 70,000 leaves: 273 complete subtrees of 256 at height 8.
    assert_eq!(
        TilePath::for_tree(Some(1), 0, 70_000).unwrap().to_string(),
        "tile/1/000"
    );
    assert_eq!(
        TilePath::for_tree(Some(1), 1, 70_000).unwrap().to_string(),
        "tile/1/001.p/17"
    );
    assert_eq!(TilePath::for_tree(Some(1), 2, 70_000), None);
    assert_eq!(
        TilePath::for_tree(Some(2), 0, 70_000).unwrap().to_string(),
        "tile/2/000.p/1"
    );
}

/// A level-1 tile's hashes are the roots of the level-0 tiles below it, so a tile client can check
/// them: the root of the first 256 leaves is the first hash of tile 1/000.
#[test]
fn hash_tiles_hold_the_subtree_roots() {
    let mut t = MemoryTree::new();
    for i in 0..600u32 {
        t.push(&i.to_be_bytes()).unwrap();
    }
    let level0 = TilePath::for_tree(Some(0), 2, t.size()).unwrap();
    let hashes = tree::HashSource::read_hashes(&t, &level0.stored_indexes()).unwrap();
    assert_eq!(hashes.len(), 88);
    assert_eq!(hashes[0], provenant_ledger::leaf_hash(&512u32.to_be_bytes()));
    let level1 = TilePath::for_tree(Some(1), 0, t.size()).unwrap();
    assert_eq!(level1.width(), 2);
    let top = tree::HashSource::read_hashes(&t, &level1.stored_indexes()).unwrap();
    assert_eq!(top[0], tree::root(256, &t).unwrap());
    let bytes = tiles::encode_hash_tile(&top);
    assert_eq!(tiles::decode_hash_tile(&bytes, 2).unwrap(), top);
    assert!(tiles::decode_hash_tile(&bytes, 3).is_err());
    assert!(tiles::decode_hash_tile(&bytes[1..], 2).is_err());
}

#[test]
fn entry_bundles() {
    let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), Vec::new(), vec![7u8; 300]];
    let bundle = tiles::encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bundle[..3], &[0, 1, b'a']);
    assert_eq!(&bundle[5..7], &[1, 44]);
    let back = tiles::decode_entry_bundle(&bundle, 3).unwrap();
    assert_eq!(back, entries.iter().map(Vec::as_slice).collect::<Vec<_>>());
    assert!(tiles::decode_entry_bundle(&bundle, 2).is_err());
    assert!(tiles::decode_entry_bundle(&bundle, 4).is_err());
    assert!(tiles::decode_entry_bundle(&bundle[..bundle.len() - 1], 3).is_err());
    assert!(tiles::decode_entry_bundle(&[0], 1).is_err());
    assert!(matches!(
        tiles::encode_entry_bundle(&[vec![0u8; 65_536]]),
        Err(TileError::EntryTooLarge { size: 65_536 })
    ));
}
