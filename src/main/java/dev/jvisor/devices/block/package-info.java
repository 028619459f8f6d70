/**
 * Host storage for guest disks: {@link dev.jvisor.devices.block.BlockBackend} is what a disk
 * model (virtio-blk, IDE) reads and writes; {@link dev.jvisor.devices.block.DiskImage} is a raw
 * image file behind it (locking, bounds checks, FLUSH as {@code force(false)}, fdatasync; its class comment
 * states the durability guarantee).
 */
package dev.jvisor.devices.block;
