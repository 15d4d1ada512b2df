# The snapshot's packer (common/pb_pack.c): the bytes of protobuf-c's
# pack for random messages of every kind a snapshot holds, and the
# digest of the contract.
sv_add_test(test_pb_pack SOURCES test_pb_pack.c contract_digest.c
            LIBS sv_aggregate sv_proto PkgConfig::SODIUM)
