"""The dossiers of a wave: what an application says (``records``), the AMI's calendar of
waves (``calendar``) and the automatic checks on each dossier (``checks``). Pure: reading an
export is the loaders' job (``loaders.ds_export``), storing them ``geodata.storage``'s.
"""
