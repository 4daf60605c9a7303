# Types of gis/normalise.py for its compiled form (setup.py): its functions call each
# other as C functions (every word of every address goes through several). The source
# stays plain Python; a build without Cython ignores this file.

cpdef str nfc(str text)
cpdef str fold(str text)
cpdef str accent_key(str text)
cpdef str accent_key_of_nfc(str text)
cpdef str split_glued(str text)
cpdef str _number(str token)
cpdef tuple word_tokens(str word)
cpdef list split_parts(str clean)
