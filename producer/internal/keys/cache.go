package keys

import (
	"hash/maphash"
	"strings"
	"sync"
)

// maxID is the longest record id the cache holds; Salesforce ids have 15
// or 18 characters. Longer ids are not cached (and so are looked up each
// time).
const maxID = 18

// slot identifies a record: its object, by number, and its id.
type slot struct {
	entity uint16
	n      uint8
	id     [maxID]byte
}

// node is one cache entry in the recency list; nodes[0] is the list's
// sentinel. 32 bytes, plus 8 to 16 bytes of the index.
type node struct {
	key        slot
	val        uint32 // index into cache.vals; 0 is "no partition key"
	prev, next uint32
}

// cache is a least-recently-used map from (entity, record id) to
// partition key, holding at most capacity entries in about 50 bytes each.
// Its index is an open-addressing hash table (linear probing) of node
// numbers, half full at most, as a Go map of slots would take twice the
// memory. Partition key values are interned and reference-counted, as
// many records share one (a territory). It is safe for concurrent use.
type cache struct {
	mu       sync.Mutex
	capacity int
	seed     maphash.Seed
	table    []uint32 // node numbers; 0 is an empty bucket
	nodes    []node
	entities map[string]uint16

	vals     []string
	refs     []uint32
	valIndex map[string]uint32
	freeVals []uint32

	evictions func() // called for each eviction, under mu
}

func newCache(capacity int, evictions func()) *cache {
	return &cache{
		capacity:  capacity,
		seed:      maphash.MakeSeed(),
		table:     make([]uint32, 1024),
		nodes:     make([]node, 1), // the sentinel, linked to itself
		entities:  map[string]uint16{},
		vals:      []string{""},
		refs:      []uint32{0},
		valIndex:  map[string]uint32{},
		evictions: evictions,
	}
}

// slotOf returns the slot of a record, or false when it cannot be cached.
func (c *cache) slotOf(entity, id string, create bool) (slot, bool) {
	if len(id) > maxID || id == "" {
		return slot{}, false
	}
	e, ok := c.entities[entity]
	if !ok {
		if !create || len(c.entities) > 0xFFFF {
			return slot{}, false
		}
		e = uint16(len(c.entities))
		c.entities[entity] = e
	}
	s := slot{entity: e, n: uint8(len(id))}
	copy(s.id[:], id)
	return s, true
}

// get returns the partition key of a record, "" for none, and whether the
// cache knows it; a hit makes the entry the most recently used.
func (c *cache) get(entity, id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slotOf(entity, id, false)
	if !ok {
		return "", false
	}
	b := c.find(s)
	i := c.table[b]
	if i == 0 {
		return "", false
	}
	c.unlink(i)
	c.pushFront(i)
	return c.vals[c.nodes[i].val], true
}

// put records the partition key of a record ("" for none) as the most
// recently used entry, evicting the least recently used one when full.
// With replace false, an entry the cache already holds is kept as is.
func (c *cache) put(entity, id, key string, replace bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slotOf(entity, id, true)
	if !ok {
		return
	}
	b := c.find(s)
	if i := c.table[b]; i != 0 {
		if replace && c.vals[c.nodes[i].val] != key {
			c.release(c.nodes[i].val)
			c.nodes[i].val = c.intern(key)
		}
		c.unlink(i)
		c.pushFront(i)
		return
	}
	var i uint32
	if len(c.nodes)-1 < c.capacity {
		c.nodes = append(c.nodes, node{})
		i = uint32(len(c.nodes) - 1)
		if 2*len(c.nodes) > len(c.table) {
			c.grow()
			b = c.find(s)
		}
	} else {
		i = c.nodes[0].prev // the least recently used
		c.unlink(i)
		c.remove(c.find(c.nodes[i].key))
		c.release(c.nodes[i].val)
		if c.evictions != nil {
			c.evictions()
		}
		b = c.find(s) // the removal may have moved buckets
	}
	c.nodes[i] = node{key: s, val: c.intern(key)}
	c.table[b] = i
	c.pushFront(i)
}

// len returns the number of entries.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.nodes) - 1
}

// home returns the bucket where the search for s starts.
func (c *cache) home(s slot) int {
	return int(maphash.Comparable(c.seed, s) & uint64(len(c.table)-1))
}

// find returns the bucket holding s, or the empty bucket where it goes.
func (c *cache) find(s slot) int {
	mask := len(c.table) - 1
	b := c.home(s)
	for c.table[b] != 0 && c.nodes[c.table[b]].key != s {
		b = (b + 1) & mask
	}
	return b
}

// remove empties bucket b, moving later buckets of the same probe run
// back so that every entry stays reachable from its home bucket.
func (c *cache) remove(b int) {
	mask := len(c.table) - 1
	for {
		c.table[b] = 0
		j := b
		for {
			j = (j + 1) & mask
			if c.table[j] == 0 {
				return
			}
			h := c.home(c.nodes[c.table[j]].key)
			// The entry at j stays when its home lies cyclically in (b, j].
			if (b < j && b < h && h <= j) || (b > j && (b < h || h <= j)) {
				continue
			}
			c.table[b] = c.table[j]
			b = j
			break
		}
	}
}

// grow doubles the table and reinserts every entry.
func (c *cache) grow() {
	c.table = make([]uint32, 2*len(c.table))
	for i := 1; i < len(c.nodes); i++ {
		if c.nodes[i] == (node{}) {
			continue // the node being added
		}
		c.table[c.find(c.nodes[i].key)] = uint32(i)
	}
}

func (c *cache) unlink(i uint32) {
	n := &c.nodes[i]
	c.nodes[n.prev].next = n.next
	c.nodes[n.next].prev = n.prev
}

func (c *cache) pushFront(i uint32) {
	head := c.nodes[0].next
	c.nodes[i].prev, c.nodes[i].next = 0, head
	c.nodes[head].prev = i
	c.nodes[0].next = i
}

// intern returns the index of the value s, counting one more use.
func (c *cache) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if i, ok := c.valIndex[s]; ok {
		c.refs[i]++
		return i
	}
	s = strings.Clone(s) // keep no larger buffer alive
	var i uint32
	if n := len(c.freeVals); n > 0 {
		i, c.freeVals = c.freeVals[n-1], c.freeVals[:n-1]
		c.vals[i], c.refs[i] = s, 1
	} else {
		i = uint32(len(c.vals))
		c.vals, c.refs = append(c.vals, s), append(c.refs, 1)
	}
	c.valIndex[s] = i
	return i
}

// release counts one use less of the value i, freeing it at zero.
func (c *cache) release(i uint32) {
	if i == 0 {
		return
	}
	c.refs[i]--
	if c.refs[i] == 0 {
		delete(c.valIndex, c.vals[i])
		c.vals[i] = ""
		c.freeVals = append(c.freeVals, i)
	}
}
